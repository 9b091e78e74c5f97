import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runCli} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {testEtcdAtLeast, testEtcdVersion} from '../helpers/etcd-binaries.js';
import {mustEtcdctl} from '../helpers/snapshot-fixtures.js';

// Auth on, a root user and "alice", whose only role reads /app/. etcd 3.5.28+ (3.4.42+, 3.6.0+) answers
// Status only for users with the root role; the etcd 3.4.23 of Debian 12 still answers anyone logged in.
const cluster = await startCluster({members: 3});
const endpoint = cluster.endpoints[0]!;
const at = `--endpoints=${endpoint}`;
mustEtcdctl([at, 'user', 'add', 'root:root-pw']);
mustEtcdctl([at, 'user', 'grant-role', 'root', 'root']);
mustEtcdctl([at, 'user', 'add', 'alice:alice-pw']);
mustEtcdctl([at, 'role', 'add', 'reader']);
mustEtcdctl([at, 'role', 'grant-permission', 'reader', 'read', '/app/', '--prefix']);
mustEtcdctl([at, 'user', 'grant-role', 'alice', 'reader']);
mustEtcdctl([at, 'auth', 'enable']);
await cluster.waitReady(undefined, {username: 'root', password: 'root-pw'});
const isRootRoleRequired = testEtcdAtLeast(3, 5, 28);

test('root: status answers for every member, exit 0', async () => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', endpoint, '--user', 'root'], {env: {ETCDCTL_PASSWORD: 'root-pw'}});
	assert.equal(result.code, 0, result.stderr + result.stdout);
	const json = JSON.parse(result.stdout) as {cluster: {state: string}; members: Array<{reachable: boolean}>};
	assert.equal(json.cluster.state, 'healthy');
	assert.equal(json.members.length, 3);
});

test(`a user without the root role: ${isRootRoleRequired ? 'the root-role message and exit 3, never "unreachable"' : 'answered as before on this etcd'} (etcd ${testEtcdVersion()})`, async () => {
	const result = await runCli(['status', '--endpoints', endpoint, '--user', 'alice:alice-pw']);
	if (!isRootRoleRequired) {
		assert.equal(result.code, 0, result.stderr + result.stdout);
		return;
	}
	assert.equal(result.code, 3, result.stderr + result.stdout);
	assert.match(result.stderr, /^etcdtop: permission denied for Status: user "alice" does not have the root role, which etcd 3\.4\.42\+, 3\.5\.28\+ and 3\.6\.0\+ require/);
	assert.match(result.stderr, /etcdctl user grant-role alice root/);
	assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
	assert.match(result.stdout, /: permission-denied;/);
	assert.match(result.stdout, /\| permission denied \|/);
	assert.doesNotMatch(result.stdout + result.stderr, /unreachable|\bauth\b(?! is on)/);

	const json = await runCli(['status', '-w', 'json', '--endpoints', endpoint, '--user', 'alice:alice-pw']);
	assert.equal(json.code, 3);
	const parsed = JSON.parse(json.stdout) as {cluster: {state: string}; members: Array<{error: {kind: string} | null}>};
	assert.equal(parsed.cluster.state, 'permission-denied');
	assert.ok(parsed.members.every(member => member.error?.kind === 'permission-denied'), json.stdout);
});
