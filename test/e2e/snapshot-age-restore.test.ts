import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import type {LocalCluster} from '../../source/demo/local-cluster.js';
import {startScenario, type Scenario} from '../helpers/scenario.js';
import type {RestorePlan} from '../../source/snapshot/restore-plan.js';
import {runCli} from '../helpers/cli.js';
import {until} from '../helpers/cluster.js';
import {etcdBinary, testEtcdAtLeast} from '../helpers/etcd-binaries.js';
import {etcdctlStatus, hasEtcd, mustEtcdctl, tempDir} from '../helpers/snapshot-fixtures.js';

const hasAge = spawnSync('age', ['--version'], {stdio: 'ignore'}).status === 0 && spawnSync('age-keygen', ['--help'], {stdio: 'ignore'}).error === undefined;

describe('encrypted snapshots, retention and the restore plan on a real 3-member cluster', {skip: (!hasEtcd && 'etcd/etcdctl not installed') || (!hasAge && 'age not installed'), timeout: 900_000}, () => {
	let cluster: LocalCluster;
	let scenario: Scenario | undefined;
	const dir = tempDir();
	const keyFile = join(dir.path, 'key.txt');
	let recipient = '';
	const started: ChildProcess[] = [];
	const expected = new Map<string, string>();

	before(async () => {
		scenario = await startScenario({cluster: {members: 3}});
		cluster = scenario.cluster;
		const endpoint = cluster.endpoints[0]!;
		for (let index = 0; index < 300; index++) expected.set(`/restore/key-${index}`, `value-${index}-${'x'.repeat(index % 50)}`);
		const lines = [...expected].map(([key, value]) => `put ${key} ${value}`);
		// One etcdctl per batch keeps the process count low on a busy machine.
		for (let at = 0; at < lines.length; at += 100) {
			for (const line of lines.slice(at, at + 100)) {
				const [, key, value] = line.split(' ');
				mustEtcdctl([`--endpoints=${endpoint}`, 'put', key!, value!]);
			}
		}
		await cluster.waitReady();
		const keygen = spawnSync('age-keygen', ['-o', keyFile], {encoding: 'utf8'});
		assert.equal(keygen.status, 0, keygen.stderr);
		recipient = /age1[0-9a-z]+/.exec(readFileSync(keyFile, 'utf8'))![0];
	});

	after(async () => {
		for (const child of started) if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
		await scenario?.end();
		dir.remove();
	});

	it('--encrypt-to writes FILE.age that age -d decrypts to what etcdctl reads; status reads it with --identity', async () => {
		const file = join(dir.path, 'enc.db');
		const save = await runCli(['snapshot', 'save', file, '--endpoints', cluster.endpoints.join(','), '--encrypt-to', recipient], {timeoutMs: 120_000});
		assert.equal(save.code, 0, save.stderr);
		assert.ok(existsSync(`${file}.age`));
		assert.ok(!existsSync(file), 'no plaintext copy');
		assert.deepEqual(readdirSync(dir.path).filter(name => name.includes('.part')), []);
		const manifest = JSON.parse(readFileSync(`${file}.age.meta.json`, 'utf8')) as {encryption: {kind: string; recipients: string[]}; revision: number; totalKey: number};
		assert.deepEqual(manifest.encryption, {kind: 'x25519', recipients: [recipient]});

		const plain = join(dir.path, 'decrypted.db');
		const age = spawnSync('age', ['-d', '-i', keyFile, '-o', plain, `${file}.age`], {encoding: 'utf8'});
		assert.equal(age.status, 0, age.stderr);
		const theirs = etcdctlStatus(plain);
		assert.equal(theirs.revision, manifest.revision);
		assert.equal(theirs.totalKey, manifest.totalKey);

		const status = await runCli(['snapshot', 'status', `${file}.age`, '--identity', keyFile, '-w', 'json'], {timeoutMs: 120_000});
		assert.equal(status.code, 0, status.stderr);
		const ours = JSON.parse(status.stdout) as {hash: number; revision: number; totalKey: number; sha256: string};
		assert.equal(ours.hash, theirs.hash);
		assert.equal(ours.revision, theirs.revision);
		assert.equal(ours.sha256, 'ok');

		const noKey = await runCli(['snapshot', 'status', `${file}.age`]);
		assert.equal(noKey.code, 3, noKey.stderr);
		assert.match(noKey.stderr, /--identity/);
	});

	it('--encrypt-passphrase reads ETCDTOP_SNAPSHOT_PASSPHRASE and status reads the file back with it', async () => {
		const file = join(dir.path, 'pass.db');
		const env = {ETCDTOP_SNAPSHOT_PASSPHRASE: 'correct horse battery staple'};
		const save = await runCli(['snapshot', 'save', file, '--endpoints', cluster.endpoints[0]!, '--encrypt-passphrase'], {env, timeoutMs: 120_000});
		assert.equal(save.code, 0, save.stderr);
		assert.ok(!readFileSync(`${file}.age`).includes(Buffer.from('/restore/key-1')), 'keys are not in the clear');
		const status = await runCli(['snapshot', 'status', `${file}.age`, '-w', 'json'], {env, timeoutMs: 120_000});
		assert.equal(status.code, 0, status.stderr);
		const wrong = await runCli(['snapshot', 'status', `${file}.age`], {env: {ETCDTOP_SNAPSHOT_PASSPHRASE: 'wrong'}, timeoutMs: 120_000});
		// A wrong key is the operator's to fix, as a wrong password is: exit 3 (readme, exit codes).
		assert.equal(wrong.code, 3, wrong.stderr);
		assert.match(wrong.stderr, /passphrase does not decrypt/);
	});

	it('--keep 2 with --snapshot-dir and no FILE keeps the newest two', async () => {
		const snapshots = join(dir.path, 'kept');
		for (let round = 0; round < 3; round++) {
			const save = await runCli(['snapshot', 'save', '--snapshot-dir', snapshots, '--keep', '2', '--endpoints', cluster.endpoints[0]!], {timeoutMs: 120_000});
			assert.equal(save.code, 0, save.stderr);
			// Names carry the second: the next save must not collide.
			const second = Math.floor(Date.now() / 1000);
			await until('the next second', () => (Math.floor(Date.now() / 1000) > second ? true : undefined), 5000, 50);
		}
		const names = readdirSync(snapshots).sort();
		assert.equal(names.filter(name => name.endsWith('.db')).length, 2, names.join(' '));
		assert.equal(names.filter(name => name.endsWith('.meta.json')).length, 2, names.join(' '));
		const bad = await runCli(['snapshot', 'save', '--keep', '0']);
		assert.equal(bad.code, 3);
		assert.match(bad.stderr, /--keep/);
	});

	it('restore-plan: its commands restore every key into new data dirs and the restored cluster starts', async () => {
		const file = join(dir.path, 'restore.db');
		const save = await runCli(['snapshot', 'save', file, '--endpoints', cluster.endpoints.join(',')], {timeoutMs: 120_000});
		assert.equal(save.code, 0, save.stderr);
		const live = await runCli(['snapshot', 'restore-plan', file, '--data-dir', join(dir.path, 'restored', '{name}'), '--endpoints', cluster.endpoints[0]!, '-w', 'json']);
		assert.equal(live.code, 0, live.stderr);
		assert.equal((JSON.parse(live.stdout) as RestorePlan).membersFrom, 'live');

		// Its logs stay until the scenario ends, which keeps them if a test failed.
		await cluster.stop({isKeepingFiles: true});
		const planned = await runCli(['snapshot', 'restore-plan', file, '--data-dir', join(dir.path, 'restored', '{name}'), '--endpoints', cluster.endpoints[0]!, '--dial-timeout', '300ms', '-w', 'json']);
		assert.equal(planned.code, 0, planned.stderr);
		const plan = JSON.parse(planned.stdout) as RestorePlan;
		assert.equal(plan.membersFrom, 'manifest');
		// From the manifest's etcd version: 3.4 restores with etcdctl, 3.5+ with etcdutl.
		assert.equal(plan.tool, testEtcdAtLeast(3, 5) ? 'etcdutl' : 'etcdctl');
		const titles = plan.phases.map(phase => phase.title);
		assert.ok(titles.findIndex(title => /Stop every API server/.test(title)) < titles.findIndex(title => /^Restore every member/.test(title)));
		assert.ok(titles.findIndex(title => /^Start etcd/.test(title)) < titles.findIndex(title => /Restart every API server/.test(title)));

		const restore = plan.phases.find(phase => phase.title.startsWith('Restore every member'))!;
		assert.equal(restore.steps.length, 3);
		// As an operator would: the printed command line, through a shell, with no ETCDCTL_* set.
		const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_') && !key.startsWith('ETCD_')));
		for (const step of restore.steps) {
			const result = spawnSync('sh', ['-c', step.command!], {encoding: 'utf8', env: cleanEnv, timeout: 120_000});
			assert.equal(result.status, 0, `${step.command}\n${result.stderr}`);
		}
		const start = plan.phases.find(phase => phase.title.startsWith('Start etcd'))!;
		for (const step of start.steps) {
			// argv, not `sh -c`, so the PID is etcd's own and the test can end it.
			const [program, ...args] = step.argv!;
			const log = join(dir.path, `${step.member}.restored.log`);
			writeFileSync(log, '');
			const child = spawn(program!, [...args, '--logger=zap', `--log-outputs=${log}`], {stdio: 'ignore', env: cleanEnv});
			started.push(child);
		}
		const endpoints = cluster.endpoints.join(',');
		await until('the restored cluster to answer', () => (spawnSync(etcdBinary('etcdctl'), [`--endpoints=${endpoints}`, 'endpoint', 'health'], {timeout: 10_000}).status === 0 ? true : undefined), 90_000, 500);
		for (const endpoint of cluster.endpoints) {
			const listing = mustEtcdctl([`--endpoints=${endpoint}`, '--consistency=s', 'get', '/restore/', '--prefix', '-w', 'json']);
			const kvs = (JSON.parse(listing) as {kvs?: Array<{key: string; value: string}>}).kvs ?? [];
			const found = new Map(kvs.map(kv => [Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value, 'base64').toString()]));
			assert.deepEqual(found, expected, `every key on ${endpoint}`);
		}
		const members = mustEtcdctl([`--endpoints=${cluster.endpoints[0]}`, 'member', 'list', '-w', 'json']);
		assert.equal((JSON.parse(members) as {members: unknown[]}).members.length, 3);
		for (const child of started) {
			const exited = new Promise(resolve => child.once('exit', resolve));
			process.kill(child.pid!, 'SIGTERM');
			await exited;
		}
	});
});
