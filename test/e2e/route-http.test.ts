import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {after, before, describe, it} from 'node:test';
import {hasEtcdBinary, LocalCluster} from '../../source/demo/local-cluster.js';
import {ClassifiedError} from '../../source/etcd/errors.js';
import type {ConnectOptions} from '../../source/etcd/member-client.js';
import {createRoutes} from '../../source/route/routes.js';
import {Keyring} from '../../source/ssh/connect.js';
import {SshConnection} from '../../source/ssh/connection.js';
import {resolveSshHost} from '../../source/ssh/ssh-config.js';
import {TunnelPool} from '../../source/ssh/tunnel-pool.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';
import {makeTestPki, type TestPki} from '../helpers/tls.js';

const hasOpenssl = spawnSync('openssl', ['version'], {stdio: 'ignore'}).status === 0;
const skip = !hasSshd() ? 'OpenSSH sshd is not installed' : !hasEtcdBinary() ? 'etcd is not installed' : !hasOpenssl ? 'openssl is not installed' : false;

async function failureOf(promise: Promise<unknown>): Promise<ClassifiedError> {
	const error = await promise.then(() => undefined, (caught: unknown) => caught);
	assert.ok(error instanceof ClassifiedError, `expected a classified failure, got ${String(error)}`);
	return error;
}

describe('HTTP GET of a member (/health, /metrics) by the route module: direct and through --via, with TLS client certificates', {skip, timeout: 180_000}, () => {
	let sshd: TestSshd;
	let cluster: LocalCluster;
	let pki: TestPki;
	let connection: SshConnection;
	let pool: TunnelPool;
	let connect: ConnectOptions;

	before(async () => {
		pki = makeTestPki();
		[sshd, cluster] = await Promise.all([
			// DEBUG1: sshd logs each forwarding request, which says what the SSH host was asked to reach.
			TestSshd.start({logLevel: 'DEBUG1'}),
			LocalCluster.start({members: 1, namePrefix: 'http', isServingMetrics: true, tls: {caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile}}),
		]);
		connect = {tls: {ca: readFileSync(pki.caFile), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile), isInsecureSkipVerify: false}, dialTimeoutMs: 5000, commandTimeoutMs: 5000};
		connection = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
			keyring: new Keyring(),
			agentSocket: '',
		}).start();
		await connection.waitUntilUp({timeoutMs: 30_000});
		pool = new TunnelPool(connection);
	});

	after(async () => {
		const isFailed = process.exitCode !== undefined && process.exitCode !== 0;
		await pool?.close();
		connection?.close();
		await Promise.all([sshd?.dispose({isKeepingFiles: isFailed}), cluster?.stop({isKeepingFiles: isFailed})]);
		pki?.remove();
	});

	it('direct: /health and /metrics on the client URL need the client certificate; a wrong CA is "tls"', async () => {
		const member = cluster.members[0]!;
		const routes = createRoutes(connect);
		const health = await routes.httpGet(member.clientUrl, '/health', {timeoutMs: 10_000});
		assert.equal(health.status, 200, health.body);
		assert.match(health.body, /"health":\s*"true"/);
		const metrics = await routes.httpGet(member.clientUrl, '/metrics', {timeoutMs: 10_000});
		assert.equal(metrics.status, 200);
		assert.match(metrics.body, /^etcd_server_has_leader 1$/m);

		const wrongCa = await failureOf(createRoutes({...connect, tls: {...connect.tls!, ca: readFileSync(pki.otherCaFile)}}).httpGet(member.clientUrl, '/health', {timeoutMs: 10_000}));
		assert.equal(wrongCa.failure.kind, 'tls', wrongCa.message);
		// etcd with --client-cert-auth ends the handshake of a client without a certificate.
		const noCert = await failureOf(createRoutes({...connect, tls: {ca: readFileSync(pki.caFile), isInsecureSkipVerify: false}}).httpGet(member.clientUrl, '/health', {timeoutMs: 10_000}));
		assert.ok(['tls', 'unreachable'].includes(noCert.failure.kind), `${noCert.failure.kind}: ${noCert.message}`);
		await routes.close();
	});

	it('direct: a metrics listener other than the client URL (--listen-metrics-urls)', async () => {
		const member = cluster.members[0]!;
		const metrics = await createRoutes(connect).httpGet(member.metricsUrl!, '/metrics', {timeoutMs: 10_000});
		assert.equal(metrics.status, 200);
		assert.match(metrics.body, /^etcd_server_has_leader 1$/m);
	});

	it('through --via: the SSH host is asked for the member by its own name, TLS verifies that name, and a closed port is "refused"', async () => {
		const member = cluster.members[0]!;
		const port = new URL(member.clientUrl).port;
		const routes = createRoutes(connect, pool);
		try {
			// The certificate names localhost and 127.0.0.1; the tunnel is dialled at 127.0.0.1 either way.
			const health = await routes.httpGet(`https://localhost:${port}`, '/health', {timeoutMs: 15_000});
			assert.equal(health.status, 200, health.body);
			assert.ok(sshd.forwardedTargets().includes(`localhost:${port}`), `forwarded: ${sshd.forwardedTargets().join(', ')}`);
			const metrics = await routes.httpGet(member.metricsUrl!, '/metrics', {timeoutMs: 15_000});
			assert.match(metrics.body, /^etcd_server_has_leader 1$/m);
			assert.ok(sshd.forwardedTargets().includes(new URL(member.metricsUrl!).host), 'the metrics listener is reached through SSH too');
			const wrongName = await failureOf(routes.httpGet(`https://127.0.0.2:${port}`, '/health', {timeoutMs: 15_000}));
			assert.ok(['tls', 'refused', 'unreachable'].includes(wrongName.failure.kind), `${wrongName.failure.kind}: ${wrongName.message}`);
			// A port nothing listens on, as the SSH host sees it.
			const closed = await failureOf(routes.httpGet('http://127.0.0.1:1', '/metrics', {timeoutMs: 15_000}));
			assert.equal(closed.failure.kind, 'refused', closed.message);
			assert.match(closed.message, /via /);
		} finally {
			await routes.close();
		}
	});

	it('through --via while SSH is down: "tunnel-down" at once, not a timeout', async () => {
		const down = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: 1, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
			keyring: new Keyring(),
			agentSocket: '',
		}).start();
		const downPool = new TunnelPool(down);
		const routes = createRoutes(connect, downPool);
		try {
			const started = performance.now();
			const failure = await failureOf(routes.httpGet(cluster.members[0]!.clientUrl, '/health', {timeoutMs: 20_000}));
			assert.equal(failure.failure.kind, 'tunnel-down', failure.message);
			assert.ok(performance.now() - started < 10_000);
		} finally {
			await routes.close();
			await downPool.close();
			down.close();
		}
	});
});
