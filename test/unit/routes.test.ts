import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {createServer as createHttpServer, type IncomingMessage, type ServerResponse} from 'node:http';
import {createServer as createHttpsServer} from 'node:https';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {buildConfig, buildSshSettings} from '../../source/config/config.js';
import {ClassifiedError, classifyError} from '../../source/etcd/errors.js';
import {MemberClient, type ConnectOptions} from '../../source/etcd/member-client.js';
import {liveOperationIo} from '../../source/ops/live-io.js';
import {createRoutes, memberCallNames} from '../../source/route/routes.js';
import {SnapshotStore} from '../../source/console/snapshot-store.js';
import type {ConnectionStatus, SshConnection} from '../../source/ssh/connection.js';
import {TunnelPool} from '../../source/ssh/tunnel-pool.js';
import {until} from '../helpers/cluster.js';
import {close, listen} from '../helpers/http-server.js';
import {makeTestPki} from '../helpers/tls.js';

// A throwaway PKI made for this run (no private key lives in the repository): the server certificate also
// names etcd-1.example, the member reached only through the tunnel below; the client certificate's CN is root.
const testPki = makeTestPki({dnsNames: ['etcd-1.example']});
after(() => testPki.remove());
const pkiFiles = {'ca.crt': testPki.caFile, 'server.crt': testPki.serverCertFile, 'server.key': testPki.serverKeyFile, 'client.crt': testPki.clientCertFile, 'client.key': testPki.clientKeyFile, 'other-ca.crt': testPki.otherCaFile} as const;
const pki = (name: keyof typeof pkiFiles) => readFileSync(pkiFiles[name]);
const plain: ConnectOptions = {dialTimeoutMs: 500, commandTimeoutMs: 500};
const withTls = (ca = pki('ca.crt'), isClientCert = true): ConnectOptions => ({
	...plain,
	tls: {ca, ...(isClientCert ? {cert: pki('client.crt'), key: pki('client.key')} : {}), isInsecureSkipVerify: false},
});

/** An SSH connection whose state the test sets; no SSH happens. */
class FakeConnection extends EventEmitter {
	readonly label = 'ops@bastion';
	readonly client = undefined;
	status: ConnectionStatus = {state: 'up', since: 0, failure: undefined, attempts: 1, retryAt: undefined} as unknown as ConnectionStatus;
	get state() {
		return this.status.state;
	}
	set(state: ConnectionStatus['state']) {
		this.status = {...this.status, state, failure: state === 'up' ? undefined : {kind: 'unreachable', message: 'lost'}} as ConnectionStatus;
		this.emit('state-changed', this.status);
	}
}

/** A pool that "tunnels" every key to one local port, counting opens and releases. */
function fakePool(connection: FakeConnection, localPort: () => number, failFirst = 0) {
	const opened: string[] = [];
	const released: string[] = [];
	let failures = failFirst;
	const pool = {
		connection: connection as unknown as SshConnection,
		async open(key: string) {
			opened.push(key);
			if (failures > 0) {
				failures--;
				throw new Error(`could not listen for ${key}`);
			}
			const url = new URL(key);
			return {tunnel: {}, via: {endpoint: `${url.protocol}//127.0.0.1:${localPort()}`, serverName: url.hostname, target: {host: url.hostname, port: Number(url.port)}}};
		},
		async release(key: string) {
			released.push(key);
		},
		recentSocketFailure: () => undefined,
	} as unknown as TunnelPool;
	return {pool, opened, released};
}

type Seen = {host: string | undefined; path: string | undefined; clientCn: string | undefined};

function answerer(seen: Seen[]) {
	return (request: IncomingMessage, response: ServerResponse) => {
		const peer = (request.socket as {getPeerCertificate?: () => {subject?: {CN?: string}}}).getPeerCertificate?.();
		seen.push({host: request.headers.host, path: request.url, clientCn: peer?.subject?.CN});
		if (request.url === '/hang') return;
		if (request.url === '/health') {
			response.writeHead(503, {'content-type': 'application/json'}).end('{"health":"false","reason":"RAFT NO LEADER"}');
			return;
		}
		response.writeHead(200, {'content-type': 'text/plain'}).end('# HELP etcd_server_has_leader Whether or not a leader exists.\netcd_server_has_leader 1\n');
	};
}

test('every call of MemberClient is routed (a capability added there needs no change in route/)', () => {
	const own = Object.getOwnPropertyNames(MemberClient.prototype).filter(name => name !== 'constructor' && name !== 'close');
	assert.deepEqual([...memberCallNames].sort(), own.sort());
	for (const name of ['status', 'memberList', 'memberAdd', 'memberRemove', 'memberPromote', 'moveLeader']) assert.ok(own.includes(name), name);
	const client = createRoutes(plain).client('http://127.0.0.1:1');
	for (const name of memberCallNames) assert.equal(typeof client[name], 'function', name);
	client.close();
});

test('a routed client asks for its tunnel on first use, again after a failure, and never while SSH is down', async () => {
	const connection = new FakeConnection();
	const {pool, opened, released} = fakePool(connection, () => 1, 1);
	const routes = createRoutes(plain, pool);
	assert.equal(routes.via, 'ops@bastion');
	const client = routes.client('http://10.0.0.1:2379');
	assert.deepEqual(opened, [], 'nothing opens before the first call');
	await assert.rejects(client.status(300), /could not listen for http:\/\/10\.0\.0\.1:2379/);
	// The second call gets a tunnel (to a closed local port: the call itself fails, but routed).
	await assert.rejects(client.memberList(300));
	assert.deepEqual(opened, ['http://10.0.0.1:2379', 'http://10.0.0.1:2379']);
	connection.set('down');
	const down = await client.status(300).then(() => undefined, (error: unknown) => error);
	assert.equal(classifyError(down).kind, 'tunnel-down');
	assert.match((down as Error).message, /SSH to ops@bastion is down/);
	assert.equal(opened.length, 2, 'no tunnel is asked for while SSH is down');
	client.close();
	assert.deepEqual(released, ['http://10.0.0.1:2379'], 'closing lets go of the one tunnel it held');
	client.close();
	assert.equal(released.length, 1, 'closing twice releases once');
	await routes.close();
});

test('direct calls keep etcd\'s own error (the runner reads its text); routed ones explain tunnel-down', async () => {
	const routes = createRoutes(plain);
	assert.equal(routes.via, undefined);
	const client = routes.client('http://127.0.0.1:1');
	const error = await client.status(300).then(() => undefined, (caught: unknown) => caught);
	assert.ok(!(error instanceof ClassifiedError), 'the gRPC error itself');
	assert.ok(['refused', 'unreachable', 'timeout'].includes(classifyError(error).kind), classifyError(error).kind);
	client.close();
	await assert.rejects(client.status(300), /closed/);
	await routes.close();
});

test('tunnels are counted: one user letting go leaves the tunnel to the other', async () => {
	const connection = new FakeConnection();
	const pool = new TunnelPool(connection as unknown as SshConnection);
	try {
		const first = await pool.open('http://10.0.0.1:2379');
		const second = await pool.open('http://10.0.0.1:2379');
		assert.equal(first.tunnel, second.tunnel);
		assert.equal(pool.usersOf('http://10.0.0.1:2379'), 2);
		await pool.release('http://10.0.0.1:2379');
		assert.equal(first.tunnel.state, 'up', 'still open for the other user');
		await pool.release('http://10.0.0.1:2379');
		assert.equal(first.tunnel.state, 'closed');
		assert.equal(pool.usersOf('http://10.0.0.1:2379'), 0);
		const again = await pool.open('http://10.0.0.1:2379');
		assert.notEqual(again.tunnel, first.tunnel, 'a later open gets a new tunnel');
	} finally {
		await pool.close();
	}
});

test('httpGet: status and body of any answer, a metrics URL other than the client URL, deadline, refused', async () => {
	const seen: Seen[] = [];
	const server = createHttpServer(answerer(seen));
	const port = await listen(server);
	const routes = createRoutes(plain);
	try {
		const metrics = await routes.httpGet(`http://127.0.0.1:${port}`, '/metrics', {timeoutMs: 2000});
		assert.equal(metrics.status, 200);
		assert.match(metrics.body, /^etcd_server_has_leader 1$/m);
		const health = await routes.httpGet(`http://127.0.0.1:${port}/ignored/path`, '/health', {timeoutMs: 2000});
		assert.deepEqual(health, {status: 503, body: '{"health":"false","reason":"RAFT NO LEADER"}'});
		assert.deepEqual(seen.map(entry => entry.path), ['/metrics', '/health']);
		const started = performance.now();
		const hung = await routes.httpGet(`http://127.0.0.1:${port}`, '/hang', {timeoutMs: 300}).then(() => undefined, (error: unknown) => error);
		assert.ok(hung instanceof ClassifiedError);
		assert.equal(hung.failure.kind, 'timeout');
		assert.ok(performance.now() - started < 5000);
		const controller = new AbortController();
		const aborted = routes.httpGet(`http://127.0.0.1:${port}`, '/hang', {timeoutMs: 10_000, signal: controller.signal});
		controller.abort(new Error('stopped by the test'));
		await assert.rejects(aborted, /stopped by the test/);
		await close(server);
		const refused = await routes.httpGet(`http://127.0.0.1:${port}`, '/metrics', {timeoutMs: 2000}).then(() => undefined, (error: unknown) => error);
		assert.ok(refused instanceof ClassifiedError);
		assert.equal(refused.failure.kind, 'refused');
		const tooLong = createHttpServer((_request, response) => response.end('x'.repeat(2000)));
		const tooLongPort = await listen(tooLong);
		await assert.rejects(routes.httpGet(`http://127.0.0.1:${tooLongPort}`, '/metrics', {timeoutMs: 2000, maxBytes: 1000}), /more than 1000 bytes/);
		await close(tooLong);
		await assert.rejects(routes.httpGet('unix:/run/etcd.sock', '/metrics', {timeoutMs: 100}), /not http or https/);
	} finally {
		if (server.listening) await close(server);
		await routes.close();
	}
});

test('httpGet over TLS: the client certificate and CA of the etcd calls, the URL\'s host verified; a wrong CA is "tls"', async () => {
	const seen: Seen[] = [];
	const server = createHttpsServer({cert: pki('server.crt'), key: pki('server.key'), ca: pki('ca.crt'), requestCert: true, rejectUnauthorized: true}, answerer(seen));
	const port = await listen(server);
	try {
		const answer = await createRoutes(withTls()).httpGet(`https://127.0.0.1:${port}`, '/metrics', {timeoutMs: 3000});
		assert.equal(answer.status, 200);
		assert.equal(seen.at(-1)?.clientCn, 'root', 'the etcd client certificate was presented');
		const wrongCa = await createRoutes(withTls(pki('other-ca.crt'))).httpGet(`https://127.0.0.1:${port}`, '/metrics', {timeoutMs: 3000}).then(() => undefined, (error: unknown) => error);
		assert.equal((wrongCa as ClassifiedError).failure.kind, 'tls', (wrongCa as Error).message);
		const noCert = await createRoutes(withTls(pki('ca.crt'), false)).httpGet(`https://127.0.0.1:${port}`, '/metrics', {timeoutMs: 3000}).then(() => undefined, (error: unknown) => error);
		assert.ok(noCert instanceof ClassifiedError, 'a server that wants a client certificate refuses the call');
		assert.ok(['tls', 'unreachable'].includes(noCert.failure.kind), `${noCert.failure.kind}: ${noCert.failure.message}`);
		const skip = await createRoutes({...plain, tls: {isInsecureSkipVerify: true, cert: pki('client.crt'), key: pki('client.key')}}).httpGet(`https://127.0.0.1:${port}`, '/health', {timeoutMs: 3000});
		assert.equal(skip.status, 503, '--insecure-skip-tls-verify reads a server no CA vouches for');
	} finally {
		await close(server);
	}
});

test('httpGet through a tunnel: dials the local port, keeps the member\'s name for Host, SNI and the certificate check', async () => {
	const seen: Seen[] = [];
	const server = createHttpsServer({cert: pki('server.crt'), key: pki('server.key'), ca: pki('ca.crt'), requestCert: true, rejectUnauthorized: true}, answerer(seen));
	const port = await listen(server);
	let sni: string | undefined;
	server.on('secureConnection', socket => {
		sni = (socket as {servername?: string | false}).servername || undefined;
	});
	const connection = new FakeConnection();
	const {pool, opened, released} = fakePool(connection, () => port);
	const routes = createRoutes(withTls(), pool);
	try {
		// etcd-1.example does not resolve: only the tunnel reaches it, and the certificate names it.
		const answer = await routes.httpGet('https://etcd-1.example:2381', '/metrics', {timeoutMs: 3000});
		assert.equal(answer.status, 200);
		assert.equal(seen.at(-1)?.host, 'etcd-1.example:2381');
		assert.equal(sni, 'etcd-1.example');
		await routes.httpGet('https://etcd-1.example:2381', '/health', {timeoutMs: 3000});
		assert.deepEqual(opened, ['https://etcd-1.example:2381'], 'one tunnel per URL origin, kept between reads');
		// A name the certificate does not carry fails TLS, tunnel or not.
		const wrongName = await routes.httpGet('https://etcd-9.example:2381', '/metrics', {timeoutMs: 3000}).then(() => undefined, (error: unknown) => error);
		assert.equal((wrongName as ClassifiedError).failure.kind, 'tls', (wrongName as Error).message);
		connection.set('down');
		const down = await routes.httpGet('https://etcd-1.example:2381', '/metrics', {timeoutMs: 3000}).then(() => undefined, (error: unknown) => error);
		assert.equal((down as ClassifiedError).failure.kind, 'tunnel-down');
		await routes.close();
		await until('the HTTP tunnels to be released', () => (released.length === 2 ? true : undefined), 2000, 20);
		assert.deepEqual(released.sort(), ['https://etcd-1.example:2381', 'https://etcd-9.example:2381']);
	} finally {
		await close(server);
	}
});

test('member changes go through the routes they are given', async () => {
	const connection = new FakeConnection();
	connection.set('down');
	const {pool, opened} = fakePool(connection, () => 1);
	const io = liveOperationIo(
		{endpoints: ['http://10.0.0.1:2379'], connect: plain, probeTimeoutMs: 500, ssh: buildSshSettings({}), sshTimeoutMs: 1000, routes: createRoutes(plain, pool)},
		{confirm: async () => false, log: () => undefined, onState: () => undefined},
	);
	try {
		const error = await io.client('http://10.0.0.1:2379').memberAdd(['http://10.0.0.4:2380'], true, 500).then(() => undefined, (caught: unknown) => caught);
		assert.equal(classifyError(error).kind, 'tunnel-down');
		assert.equal(io.client('http://10.0.0.1:2379'), io.client('http://10.0.0.1:2379'), 'one client per endpoint');
		connection.set('up');
		await assert.rejects(io.client('http://10.0.0.1:2379').memberList(300));
		assert.deepEqual(opened, ['http://10.0.0.1:2379']);
	} finally {
		io.close();
	}
});

test('the snapshots pane saves through the routes it is given', async () => {
	const directory = mkdtempSync(join(tmpdir(), 'etcdtop-pane-route-'));
	const connection = new FakeConnection();
	connection.set('down');
	const {pool} = fakePool(connection, () => 1);
	const store = new SnapshotStore({
		directory,
		config: buildConfig({endpoints: 'http://127.0.0.1:1', dialTimeout: '500ms', commandTimeout: '500ms'}, {}),
		keep: undefined,
		everyMs: undefined,
		recipients: [],
		decryptKeys: {identityFiles: [], passphrase: undefined},
		routes: createRoutes(plain, pool),
	});
	try {
		store.start();
		store.save();
		const save = await until('the save to end', () => {
			const current = store.getSnapshot().save;
			return current.kind === 'failed' ? current : undefined;
		}, 10_000);
		assert.match(JSON.stringify(save), /SSH to ops@bastion is down/);
	} finally {
		await store.stop();
		rmSync(directory, {recursive: true, force: true});
	}
});
