import assert from 'node:assert/strict';
import {test} from 'node:test';
import {buildSshSettings} from '../../source/config/config.js';
import {ClassifiedError, classifyError} from '../../source/etcd/errors.js';
import {initialClusterState, reduceCluster} from '../../source/model/cluster-state.js';
import {failureLabel} from '../../source/model/failure-label.js';
import {statusJson} from '../../source/output/status-json.js';
import {statusTable} from '../../source/output/status-text.js';
import {explainTunnelledError, tunnelDownFailure} from '../../source/route/tunnel-failure.js';
import type {ConnectionStatus, SshConnection} from '../../source/ssh/connection.js';
import type {SshFailure} from '../../source/ssh/errors.js';
import type {TunnelPool} from '../../source/ssh/tunnel-pool.js';
import {memberState} from '../../source/ui/components/members-table.js';
import {configError} from '../helpers/config-error.js';

const file = {isFile: () => true};
const directory = {isFile: () => false};
const stat = (files: Record<string, {isFile(): boolean}>) => (path: string) => files[path];


test('SSH settings: defaults, ~ expansion, a known_hosts that does not exist yet', () => {
	const none = buildSshSettings({}, stat({}), '/home/op');
	assert.equal(none.via, undefined);
	assert.equal(none.knownHostsPath, '/home/op/.ssh/known_hosts');
	assert.equal(none.isAcceptingNew, false);
	assert.equal(none.hostMap.size, 0);
	const full = buildSshSettings(
		{via: 'admin@bastion:2222', sshIdentity: '~/.ssh/id_ops', sshKnownHosts: '~/kh', sshAcceptNew: true, sshHost: ['etcd-1=10.0.0.11', 'etcd-2=root@[fd00::2]:22']},
		stat({'/home/op/.ssh/id_ops': file}),
		'/home/op',
	);
	assert.deepEqual(full.via, {user: 'admin', host: 'bastion', port: 2222});
	assert.equal(full.identityFile, '/home/op/.ssh/id_ops');
	assert.equal(full.knownHostsPath, '/home/op/kh');
	assert.equal(full.isAcceptingNew, true);
	assert.deepEqual(full.hostMap.get('etcd-2'), {user: 'root', host: 'fd00::2', port: 22});
	assert.ok(Object.isFrozen(full));
});

test('SSH settings: bad values name the flag and the fix', () => {
	const cases: Array<[Parameters<typeof buildSshSettings>[0], string, RegExp]> = [
		[{via: 'admin@bastion:0'}, '--via', /outside 1-65535/],
		[{via: '-oProxyCommand=x'}, '--via', /invalid host/],
		[{via: ' '}, '--via', /empty/],
		[{sshIdentity: '/keys/missing'}, '--ssh-identity', /does not exist/],
		[{sshIdentity: '/keys'}, '--ssh-identity', /not a regular file/],
		[{sshIdentity: ''}, '--ssh-identity', /empty/],
		[{sshKnownHosts: '/keys'}, '--ssh-known-hosts', /not a regular file/],
		[{sshHost: ['etcd-1']}, '--ssh-host', /NAME=/],
		[{sshHost: ['etcd-1=a', 'etcd-1=b']}, '--ssh-host', /mapped twice/],
	];
	for (const [flags, input, problem] of cases) {
		const error = configError(() => buildSshSettings(flags, stat({'/keys': directory}), '/home/op'));
		assert.equal(error.input, input, JSON.stringify(flags));
		assert.match(error.message, problem);
	}
});

function fakeConnection(status: Partial<ConnectionStatus>): SshConnection {
	return {status: {state: 'up', since: 0, failure: undefined, attempts: 0, retryAt: undefined, ...status}, label: 'ops@bastion'} as unknown as SshConnection;
}

function fakePool(connection: SshConnection, socketFailure?: SshFailure): TunnelPool {
	return {connection, recentSocketFailure: () => socketFailure} as unknown as TunnelPool;
}

test('a connection that is not up is "tunnel-down" with why and when it retries', () => {
	assert.equal(tunnelDownFailure(fakeConnection({state: 'up'})), undefined);
	const down = tunnelDownFailure(fakeConnection({state: 'down', failure: {kind: 'refused', message: 'connect ECONNREFUSED'}, retryAt: Date.now() + 4000}));
	assert.equal(down?.kind, 'tunnel-down');
	assert.match(down!.message, /SSH to ops@bastion is down: connect ECONNREFUSED; reconnecting in \ds/);
	assert.match(tunnelDownFailure(fakeConnection({state: 'failed', failure: {kind: 'host-key-changed', message: 'HOST KEY CHANGED'}}))!.message, /will not be retried: HOST KEY CHANGED/);
	assert.equal(tunnelDownFailure(fakeConnection({state: 'connecting'}))?.kind, 'tunnel-down');
	// The kind survives classification, whatever the message says.
	assert.deepEqual(classifyError(new ClassifiedError(down!)), down);
});

test('errors through a tunnel: tunnel-down while SSH is down, refused when the SSH host could not reach the member', () => {
	const reset = Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), {code: 14});
	const isDown = fakePool(fakeConnection({state: 'down', failure: {kind: 'unreachable', message: 'lost'}}));
	assert.equal(explainTunnelledError(isDown, 'http://m:2379', reset).kind, 'tunnel-down');
	const up = fakePool(fakeConnection({state: 'up'}));
	assert.equal(explainTunnelledError(up, 'http://m:2379', reset).kind, 'unreachable');
	const refused = fakePool(fakeConnection({state: 'up'}), {kind: 'forward-refused', message: 'the SSH host could not open m:2379: Connection refused'});
	const failure = explainTunnelledError(refused, 'http://m:2379', reset);
	assert.equal(failure.kind, 'refused');
	assert.match(failure.message, /could not open m:2379.*via ops@bastion/);
	// A TLS failure stays TLS: it says something about the member, not the tunnel.
	assert.equal(explainTunnelledError(refused, 'http://m:2379', new Error('14 UNAVAILABLE: certificate has expired')).kind, 'tls');
});

test('"tunnel down" in the model, the status table, JSON and the console row', () => {
	const endpoint = 'http://10.0.0.11:2379';
	let state = initialClusterState([endpoint], false, 0);
	state = reduceCluster(state, {type: 'probe-failed', endpoint, at: 1000, failure: {kind: 'tunnel-down', message: 'SSH to ops@bastion is down'}});
	const row = state.view.members[0]!;
	assert.equal(row.health, 'unreachable');
	assert.equal(failureLabel(row.failure), 'tunnel down');
	assert.match(state.view.reasons.join('; '), /unreachable \(tunnel down\)/);
	assert.match(statusTable(state.view), /\| +tunnel down \|/);
	const json = statusJson(state.view) as {members: Array<{error: {kind: string}}>};
	assert.equal(json.members[0]!.error.kind, 'tunnel-down');
	assert.equal(memberState(row, 5000), 'tunnel down');
	assert.match(state.events.map(event => event.text).join('\n'), /unreachable: tunnel down/);
});
