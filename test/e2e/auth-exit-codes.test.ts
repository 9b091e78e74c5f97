import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {runCli} from '../helpers/cli.js';
import {mustEtcdctl, tempDir} from '../helpers/snapshot-fixtures.js';
import {startScenario} from '../helpers/scenario.js';
import {grantRootCommandOf} from '../../source/config/printed-client.js';

// One exit code for one kind of failure, whatever the command (readme, "Exit codes of every command"): a
// wrong password, and a wrong key for an encrypted snapshot, are the operator's to fix (3), said in words
// that name the input, and never retried (the answer comes back at once, not after a retry budget).
const scenario = await startScenario({cluster: {members: 3}});
const {cluster} = scenario;
const endpoint = cluster.endpoints[0]!;
mustEtcdctl([`--endpoints=${endpoint}`, 'user', 'add', 'root:root-pw']);
mustEtcdctl([`--endpoints=${endpoint}`, 'user', 'grant-role', 'root', 'root']);
mustEtcdctl([`--endpoints=${endpoint}`, 'auth', 'enable']);
await cluster.waitReady(undefined, {username: 'root', password: 'root-pw', grantRootCommand: grantRootCommandOf('root')});
const dir = tempDir();
after(async () => {
	await scenario.end();
	dir.remove();
});

const endpoints = ['--endpoints', cluster.endpoints.join(',')];
// A snapshot with its manifest: restore-plan must not fall back to the manifest's members when the
// credentials are refused (that fallback is for a cluster that does not answer).
const planned = join(dir.path, 'planned.db');
const saved = await runCli(['snapshot', 'save', planned, ...endpoints], {env: {ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'root-pw'}, timeoutMs: 120_000});
assert.equal(saved.code, 0, saved.stderr);
assert.ok(existsSync(`${planned}.meta.json`), 'the save wrote a manifest');
const wrong = {env: {ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'not-the-password'}, timeoutMs: 60_000};
const commands: ReadonlyArray<readonly string[]> = [
	['status'],
	['snapshot', 'save', join(dir.path, 'wrong-password.db')],
	['defrag', '--yes'],
	['compact', '--yes'],
	['alarm', 'list'],
	['alarm', 'disarm'],
	['check', 'consistency'],
	['usage'],
	['member', 'remove', 'etcd-3', '--yes'],
	['member', 'add', 'etcd-9', '--peer-url', 'http://127.0.0.1:1', '--yes'],
	['snapshot', 'restore-plan', planned, '--data-dir', join(dir.path, 'restored-{name}')],
];

describe('a wrong password: exit 3 from every command, said once, not retried', {timeout: 600_000}, () => {
	for (const command of commands) {
		it(command.join(' '), async () => {
			const result = await runCli([...command, ...endpoints], wrong);
			const said = result.stderr + result.stdout;
			assert.equal(result.code, 3, `${command.join(' ')} exited ${result.code}: ${said}`);
			assert.match(said, /authentication failed/i, said);
			assert.match(said, /--user/, said);
			assert.doesNotMatch(said, /^\s+at /m, 'no stack trace');
			// etcd answers a wrong password at once; a retry budget would show as seconds.
			assert.ok(result.ms < 20_000, `${command.join(' ')} took ${Math.round(result.ms)} ms`);
		});
	}
	it('left no snapshot file behind', () => {
		assert.deepEqual(readdirSync(dir.path).filter(name => name.startsWith('wrong-password')), []);
	});
});

const hasAge = spawnSync('age-keygen', ['--help'], {stdio: 'ignore'}).error === undefined;

describe('a wrong key for an encrypted snapshot: exit 3 naming --identity or the passphrase', {skip: !hasAge && 'age not installed', timeout: 300_000}, () => {
	const right = join(dir.path, 'right.key');
	const other = join(dir.path, 'other.key');
	const file = join(dir.path, 'enc.db');
	it('status of FILE.age with a key it was not encrypted to, a file that is no key, a wrong passphrase; inspect of FILE.age', async () => {
		for (const key of [right, other]) assert.equal(spawnSync('age-keygen', ['-o', key]).status, 0);
		const recipient = /age1[0-9a-z]+/.exec(readFileSync(right, 'utf8'))![0];
		const save = await runCli(['snapshot', 'save', file, ...endpoints, '--encrypt-to', recipient], {env: {ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'root-pw'}, timeoutMs: 120_000});
		assert.equal(save.code, 0, save.stderr);
		assert.ok(existsSync(`${file}.age`));
		const good = await runCli(['snapshot', 'status', `${file}.age`, '--identity', right]);
		assert.equal(good.code, 0, good.stderr);
		const wrongKey = await runCli(['snapshot', 'status', `${file}.age`, '--identity', other]);
		assert.equal(wrongKey.code, 3, `${wrongKey.code} ${wrongKey.stderr}`);
		assert.match(wrongKey.stderr, /^etcdtop: --identity: .*no given identity decrypts this file/);
		const notAKey = await runCli(['snapshot', 'status', `${file}.age`, '--identity', `${file}.age.meta.json`]);
		assert.equal(notAKey.code, 3, `${notAKey.code} ${notAKey.stderr}`);
		assert.match(notAKey.stderr, /--identity .*is not an age X25519 identity/);
		const inspect = await runCli(['snapshot', 'inspect', `${file}.age`]);
		assert.equal(inspect.code, 3, `${inspect.code} ${inspect.stderr}`);
		assert.match(inspect.stderr, /age-encrypted.*age -d/);
		const locked = join(dir.path, 'locked.db');
		const saved = await runCli(['snapshot', 'save', locked, ...endpoints, '--encrypt-passphrase'], {env: {ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'root-pw', ETCDTOP_SNAPSHOT_PASSPHRASE: 'right-pass'}, timeoutMs: 120_000});
		assert.equal(saved.code, 0, saved.stderr);
		const passphrase = await runCli(['snapshot', 'status', `${locked}.age`], {env: {ETCDTOP_SNAPSHOT_PASSPHRASE: 'guess'}});
		assert.equal(passphrase.code, 3, passphrase.stderr);
		assert.match(passphrase.stderr, /passphrase does not decrypt this file/);
	});
});
