import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {runCli} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {testEtcdAtLeast, testEtcdVersion} from '../helpers/etcd-binaries.js';
import {mustEtcdctl} from '../helpers/snapshot-fixtures.js';
import {grantRootCommandOf} from '../../source/config/printed-client.js';

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
await cluster.waitReady(undefined, {username: 'root', password: 'root-pw', grantRootCommand: grantRootCommandOf('root')});
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

test('a user without the root role: member remove is refused once, exit 3, in the root-role words, and nothing is removed', async () => {
	// etcd 3.5.28+ refuses alice Status (so the assessment), older releases the MemberRemove itself; never "no quorum", never retried.
	const result = await runCli(['member', 'remove', 'etcd-3', '--yes', '--endpoints', endpoint, '--user', 'alice:alice-pw'], {timeoutMs: 120_000});
	assert.equal(result.code, 3, result.stderr + result.stdout);
	const call = isRootRoleRequired ? 'Status' : 'MemberRemove';
	assert.match(result.stderr, new RegExp(`^etcdtop: permission denied for ${call}: user "alice" does not have the root role`));
	assert.match(result.stderr, /etcdctl user grant-role alice root/);
	assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
	assert.doesNotMatch(result.stdout + result.stderr, /quorum|unreachable|trying again/);
	assert.ok((result.stdout.match(/member remove/g) ?? []).length <= 1, `the change was tried once at most: ${result.stdout}`);
	assert.equal(mustEtcdctl([`--user=root:root-pw`, at, 'member', 'list']).trim().split('\n').length, 3, 'nothing was removed');
});

test('a user without the root role: snapshot save is refused in the root-role words, exit 3, and leaves no file', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-root-role-'));
	try {
		const file = join(dir, 'alice.db');
		const result = await runCli(['snapshot', 'save', file, '--endpoints', endpoint, '--user', 'alice:alice-pw'], {timeoutMs: 120_000});
		assert.equal(result.code, 3, result.stderr + result.stdout);
		// 3.5.28+ refuses Status already; every release refuses the Snapshot itself to a user without the root role.
		const refusal = result.stderr.split('\n').filter(line => line.startsWith('etcdtop:'));
		assert.equal(refusal.length, 1, result.stderr);
		assert.match(refusal[0]!, isRootRoleRequired ? /^etcdtop: permission denied for Status: user "alice" does not have the root role/ : /^etcdtop: permission denied for Snapshot: user "alice" does not have the root role, which every etcd release requires for snapshots/);
		assert.match(refusal[0]!, /\(etcdctl user grant-role alice root\)/);
		assert.deepEqual(readdirSync(dir), [], 'no file, no part file');
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('a user without the root role: defrag, check consistency and usage exit 3 in words, whichever call etcd refuses', async () => {
	// 3.5.28+ refuses Status; every release refuses Defragment and HashKV to a user without the root role, and
	// alice's role reads only /app/, so usage's Range over every key is refused too.
	for (const command of [['defrag', '--yes'], ['check', 'consistency'], ['usage']]) {
		const result = await runCli([...command, '--endpoints', cluster.endpoints.join(','), '--user', 'alice:alice-pw'], {timeoutMs: 120_000});
		const said = result.stderr + result.stdout;
		assert.equal(result.code, 3, `${command.join(' ')}: ${said}`);
		assert.match(said, /permission denied for (Status|Defragment|HashKV|Range): user "alice" (does not have the root role|may not read these keys)/, said);
		assert.doesNotMatch(said, /unreachable|quorum|^\s+at /m, said);
	}
	assert.equal(mustEtcdctl([`--user=root:root-pw`, at, 'member', 'list']).trim().split('\n').length, 3);
});

test('a --user name with a space and a quote: the refusal prints the grant-role fix quoted, which pastes back as that name', async () => {
	const name = "al ice's";
	mustEtcdctl([`--user=root:root-pw`, at, 'user', 'add', `${name}:odd-pw`]);
	mustEtcdctl([`--user=root:root-pw`, at, 'user', 'grant-role', name, 'reader']);
	// etcd 3.5.28+ refuses this user Status (status says so); older releases refuse it member changes, which
	// need the root role everywhere: the change fails (not 0), nothing is removed. Either way the fix is said.
	const command = isRootRoleRequired ? ['status'] : ['member', 'remove', 'etcd-3', '--yes'];
	const result = await runCli([...command, '--endpoints', endpoint, '--user', name], {env: {ETCDCTL_PASSWORD: 'odd-pw'}, timeoutMs: 120_000});
	assert.notEqual(result.code, 0, result.stderr + result.stdout);
	const grant = /\((etcdctl user grant-role .*? root)\)/.exec(result.stderr + result.stdout)?.[1];
	assert.equal(grant, "etcdctl user grant-role 'al ice'\\''s' root", result.stderr + result.stdout);
	const words = spawnSync('sh', ['-c', `printf '%s\\n' ${grant}`], {encoding: 'utf8'}).stdout.split('\n').slice(0, -1);
	assert.deepEqual(words, ['etcdctl', 'user', 'grant-role', name, 'root']);
	assert.equal(mustEtcdctl([`--user=root:root-pw`, at, 'member', 'list']).trim().split('\n').length, 3, 'nothing was removed');
});
