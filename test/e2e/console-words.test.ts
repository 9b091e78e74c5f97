import assert from 'node:assert/strict';
import {after, test} from 'node:test';
import {cliPath, runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {makeTestPki} from '../helpers/tls.js';
import {TmuxSession} from '../helpers/tmux.js';

const pki = makeTestPki();
after(() => pki.remove());
// Five members, the console given one endpoint: the others are found in the member list and each opens its
// own TLS connection and token exchange, so their first answers arrive apart.
const cluster = await startCluster({members: 5, tls: {caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile}});
const tls = ['--endpoints', cluster.endpoints.join(','), '--cacert', pki.caFile, '--cert', pki.clientCertFile, '--key', pki.clientKeyFile];
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
});

test('TLS + --user, 5 members from one endpoint, three starts: from the first frame to HEALTHY, never NO-QUORUM, UNREACHABLE or DEGRADED, and no FAIL event', async () => {
	for (const args of [['user', 'add', 'root:s3cret'], ['auth', 'enable']]) {
		const setup = await runEtcdctl([...tls, ...args]);
		assert.equal(setup.code, 0, setup.stderr);
	}
	try {
		for (let start = 0; start < 3; start++) {
			// A first call waits for its channel (TLS handshake, token) within --dial-timeout before its own 1 s
			// deadline starts: generous here, as five handshakes and five bcrypt checks share two busy cores. The
			// probe timeout stays the default, so a handshake counted inside a call's deadline still shows.
			const session = TmuxSession.start([process.execPath, cliPath, ...tls.slice(2), '--endpoints', cluster.endpoints[0]!, '--user', 'root', '--dial-timeout', '10s'], {env: {ETCDCTL_PASSWORD: 's3cret'}});
			sessions.push(session);
			const deadline = Date.now() + 30_000;
			const seen = new Set<string>();
			let screen = '';
			// Every frame until the cluster reads healthy, and two seconds more.
			let healthyAt: number | undefined;
			while (Date.now() < deadline && (healthyAt === undefined || Date.now() < healthyAt + 2000)) {
				screen = session.capture();
				const head = screen.split('\n')[0] ?? '';
				seen.add(head.replace(/ data .*$/, ''));
				assert.doesNotMatch(head, /NO-QUORUM|UNREACHABLE|DEGRADED/, `start ${start + 1}: ${screen}`);
				assert.doesNotMatch(screen, /FAIL |Deadline exceeded/, `start ${start + 1}: ${screen}`);
				if (healthyAt === undefined && head.includes('HEALTHY')) healthyAt = Date.now();
				await new Promise(resolve => setTimeout(resolve, 50));
			}
			assert.ok(healthyAt !== undefined, `start ${start + 1} reached HEALTHY: ${screen}`);
			session.sendKeys('q');
			assert.equal(await session.waitForExit(), 0);
		}
	} finally {
		await runEtcdctl([...tls, '--user', 'root:s3cret', 'auth', 'disable']);
	}
});

test('keys that arrive in one chunk ("j" and Enter, as a laggy SSH session sends them) both count', async () => {
	const session = TmuxSession.start([process.execPath, cliPath, ...tls]);
	sessions.push(session);
	await session.waitFor(text => text.includes('HEALTHY') && /> etcd-1 /.test(text), 30_000);
	// One write to the terminal: the console reads "j\r" as one chunk.
	session.sendKeys('-l', 'j\r');
	const details = await session.waitFor('peer URLs', 10_000);
	assert.match(details, /etcd-2 ok/);
	session.sendKeys('Escape');
	await session.waitFor(text => !text.includes('peer URLs') && /> etcd-2 /.test(text), 10_000);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
});

test('a wrong --cacert names --cacert; http:// to a TLS port names https://', async () => {
	const wrongCa = await runCli(['status', '-w', 'json', '--endpoints', cluster.endpoints[0]!, '--cacert', pki.otherCaFile, '--cert', pki.clientCertFile, '--key', pki.clientKeyFile]);
	const wrong = (JSON.parse(wrongCa.stdout) as {members: Array<{error: {kind: string; message: string} | null}>}).members[0]!;
	assert.equal(wrong.error?.kind, 'tls');
	assert.match(wrong.error!.message, /give the cluster's CA with --cacert/);
	const plain = await runCli(['status', '-w', 'json', '--endpoints', cluster.endpoints[0]!.replace('https://', 'http://')]);
	const http = (JSON.parse(plain.stdout) as {members: Array<{error: {kind: string; message: string} | null}>}).members[0]!;
	assert.match(http.error!.message, /use https:\/\/ with --cacert/);
});
