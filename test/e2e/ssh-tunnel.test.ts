import assert from 'node:assert/strict';
import {connect as netConnect} from 'node:net';
import {after, before, describe, it} from 'node:test';
import {freePort} from '../../source/demo/free-port.js';
import {hasEtcdBinary, type LocalCluster} from '../../source/demo/local-cluster.js';
import {startScenario, type Scenario} from '../helpers/scenario.js';
import {MemberClient} from '../../source/etcd/member-client.js';
import {Keyring} from '../../source/ssh/connect.js';
import {SshConnection, type ConnectionState} from '../../source/ssh/connection.js';
import type {SshFailure} from '../../source/ssh/errors.js';
import {resolveSshHost} from '../../source/ssh/ssh-config.js';
import {openTunnels, SshTunnel, type TunnelState} from '../../source/ssh/tunnel.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const skip = !hasSshd() ? 'OpenSSH sshd is not installed' : !hasEtcdBinary() ? 'etcd is not installed' : false;

async function eventually<T>(probe: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			return await probe();
		} catch (error) {
			lastError = error;
		}
		if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs}ms; last error: ${(lastError as Error)?.message}`);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

async function waitForState(emitter: {readonly state: string; on: (event: 'state-changed', listener: () => void) => unknown; off: (event: 'state-changed', listener: () => void) => unknown}, state: string, timeoutMs: number): Promise<void> {
	if (emitter.state === state) return;
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => {
			emitter.off('state-changed', listener);
			reject(new Error(`state is ${emitter.state}, not ${state}, after ${timeoutMs}ms`));
		}, timeoutMs);
		const listener = () => {
			if (emitter.state !== state) return;
			clearTimeout(timer);
			emitter.off('state-changed', listener);
			resolve();
		};
		emitter.on('state-changed', listener);
	});
}

describe('etcd through an SSH tunnel to a real sshd', {skip, timeout: 180_000}, () => {
	let sshd: TestSshd;
	let cluster: LocalCluster;
	let scenario: Scenario | undefined;
	let connection: SshConnection;

	before(async () => {
		scenario = await startScenario({cluster: {members: 1, namePrefix: 'tunnel'}, sshd: true});
		[sshd, cluster] = [scenario.sshd!, scenario.cluster];
		connection = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
			keyring: new Keyring(),
			agentSocket: '',
			backoff: {initialMs: 100, maxMs: 1000},
		}).start();
		await connection.waitUntilUp({timeoutMs: 30_000});
	});

	after(async () => {
		connection?.close();
		await scenario?.end();
	});

	it('carries a real status call to the member', async () => {
		const member = cluster.members[0]!;
		const tunnels = await openTunnels(connection, [member.clientUrl]);
		const entry = tunnels.get(member.clientUrl)!;
		assert.equal(entry.tunnel.state, 'up');
		assert.notEqual(entry.tunnel.localPort, new URL(member.clientUrl).port);
		assert.equal(entry.via.serverName, '127.0.0.1');
		const direct = new MemberClient(member.clientUrl, {dialTimeoutMs: 5000, commandTimeoutMs: 5000});
		const tunnelled = new MemberClient(entry.via.endpoint, {dialTimeoutMs: 5000, commandTimeoutMs: 5000});
		try {
			const [expected, actual] = await Promise.all([direct.status(10_000), tunnelled.status(10_000)]);
			assert.equal(actual.memberId, expected.memberId);
			assert.equal(actual.clusterId, expected.clusterId);
			// The answer came over the tunnel: gRPC still holds its connection through it.
			assert.ok(entry.tunnel.forwardedCount >= 1, 'nothing was forwarded through the tunnel');
			assert.ok(entry.tunnel.activeSockets >= 1, 'gRPC holds no connection through the tunnel');
		} finally {
			direct.close();
			tunnelled.close();
			await entry.tunnel.close();
		}
		assert.equal(entry.tunnel.state, 'closed');
	});

	it('reports a target the SSH host cannot reach per socket, and stays up', async () => {
		const tunnel = await SshTunnel.open(connection, {host: '127.0.0.1', port: await freePort()});
		try {
			const failed = new Promise<SshFailure>(resolve => tunnel.once('socket-failed', resolve));
			const socket = netConnect(tunnel.localPort, '127.0.0.1');
			socket.on('error', () => {});
			const closed = new Promise(resolve => socket.once('close', resolve));
			const failure = await failed;
			assert.equal(failure.kind, 'forward-refused', failure.message);
			await closed;
			assert.equal(tunnel.state, 'up');
			assert.equal(tunnel.forwardedCount, 0);
		} finally {
			await tunnel.close();
		}
	});

	it('goes down when sshd dies mid-session and recovers after it restarts', async () => {
		const member = cluster.members[0]!;
		const tunnel = await SshTunnel.open(connection, {host: '127.0.0.1', port: Number(new URL(member.clientUrl).port)});
		const client = new MemberClient(`http://${tunnel.localAddress}`, {dialTimeoutMs: 5000, commandTimeoutMs: 5000});
		const tunnelStates: TunnelState[] = [];
		const connectionStates: ConnectionState[] = [];
		tunnel.on('state-changed', status => tunnelStates.push(status.state));
		connection.on('state-changed', status => connectionStates.push(status.state));
		try {
			const before = await client.status(10_000);
			await sshd.stop();
			await waitForState(tunnel, 'down', 30_000);
			assert.equal(connection.state, 'down');
			assert.ok(connection.status.failure, 'a down connection says why');
			// The member is fine; only the path to it is gone, and calls fail instead of hanging.
			await assert.rejects(client.status(3000));
			await sshd.restart();
			await waitForState(tunnel, 'up', 60_000);
			const afterRestart = await eventually(async () => client.status(3000), 30_000, 'no status through the recovered tunnel');
			assert.equal(afterRestart.memberId, before.memberId);
			assert.equal(tunnelStates[0], 'down');
			assert.equal(tunnelStates.at(-1), 'up');
			assert.ok(connectionStates.includes('down'));
		} finally {
			client.close();
			await tunnel.close();
		}
	});

	it('notices a hung SSH host by keepalive, and recovers when it resumes', async () => {
		const watched = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
			keyring: new Keyring(),
			agentSocket: '',
			keepaliveIntervalMs: 500,
			keepaliveCountMax: 2,
			readyTimeoutMs: 2000,
			backoff: {initialMs: 100, maxMs: 1000},
		}).start();
		const member = cluster.members[0]!;
		const tunnel = await SshTunnel.open(watched, {host: '127.0.0.1', port: Number(new URL(member.clientUrl).port)});
		const client = new MemberClient(`http://${tunnel.localAddress}`, {dialTimeoutMs: 5000, commandTimeoutMs: 5000});
		try {
			await watched.waitUntilUp({timeoutMs: 30_000});
			await client.status(10_000);
			// No FIN, no RST: the host just stops answering, as a frozen VM or a dropped route does.
			sshd.signalAll('SIGSTOP');
			await waitForState(tunnel, 'down', 30_000);
			assert.equal(watched.status.failure?.kind, 'timeout', watched.status.failure?.message);
			sshd.signalAll('SIGCONT');
			await waitForState(tunnel, 'up', 60_000);
			await eventually(async () => client.status(3000), 30_000, 'no status after the host resumed');
		} finally {
			sshd.signalAll('SIGCONT');
			client.close();
			await tunnel.close();
			watched.close();
		}
	});

	it('stops reconnecting when closed', async () => {
		const other = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
			keyring: new Keyring(),
			agentSocket: '',
			backoff: {initialMs: 50, maxMs: 200},
		}).start();
		await other.waitUntilUp({timeoutMs: 30_000});
		await sshd.stop();
		await waitForState(other, 'down', 30_000);
		other.close();
		const states: ConnectionState[] = [];
		other.on('state-changed', status => states.push(status.state));
		await sshd.restart();
		await new Promise(resolve => setTimeout(resolve, 1500));
		assert.equal(other.state, 'closed');
		assert.deepEqual(states, []);
		await waitForState(connection, 'up', 60_000);
	});
});
