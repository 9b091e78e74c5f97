import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {snapshotSaveCommand} from '../../source/commands/snapshot-save.js';
import {snapshotStatusCommand} from '../../source/commands/snapshot-status.js';
import {buildConfig} from '../../source/config/config.js';
import {ConfigError} from '../../source/config/errors.js';
import {exitCodeOf, messageOf} from '../../source/commands/errors.js';
import {CredentialsRefusedError} from '../../source/etcd/errors.js';
import type {LocalCluster} from '../../source/demo/local-cluster.js';
import {startScenario, type Scenario} from '../helpers/scenario.js';
import type {SnapshotManifest} from '../../source/snapshot/file/manifest.js';
import {testEtcdVersion} from '../helpers/etcd-binaries.js';
import {assertSameDatabase, enableAuth, etcdctlStatus, fillCluster, filesIn, flipped, hasEtcd, mustEtcdctl, mustSnapshotUtil, snapshotUtil, tempDir} from '../helpers/snapshot-fixtures.js';
import {grantRootCommandOf} from '../../source/config/printed-client.js';

function capture() {
	const out: string[] = [];
	const err: string[] = [];
	return {io: {out: (text: string) => out.push(text), err: (text: string) => err.push(text)}, out, err};
}

describe('snapshot save and status against etcdctl on a real 3-member cluster with auth', {skip: !hasEtcd && 'etcd/etcdctl not installed', timeout: 600_000}, () => {
	let cluster: LocalCluster;
	let scenario: Scenario | undefined;
	const dir = tempDir();
	const password = 'hunter2-snap';
	const auth = {username: 'root', password};
	const config = () => buildConfig({endpoints: cluster.endpoints.join(','), user: `root:${password}`}, {});

	before(async () => {
		scenario = await startScenario({cluster: {members: 3}});
		cluster = scenario.cluster;
		const endpoint = cluster.endpoints[0]!;
		enableAuth(endpoint, password);
		await fillCluster(endpoint, {keys: 4000, largeValues: 6, largeValueBytes: 1_000_000}, auth);
		// Followers apply asynchronously; a save from any member must see everything written above.
		await cluster.waitReady(undefined, {...auth, grantRootCommand: grantRootCommandOf('root')});
	});

	after(async () => {
		await scenario?.end();
		dir.remove();
	});

	it('saves the same bytes etcdctl saves, and its status numbers match etcdctl’s', async () => {
		const ours = join(dir.path, 'ours.db');
		const run = capture();
		assert.equal(await snapshotSaveCommand(config(), ours, {isOverwriting: false}, run.io), 0, run.err.join('\n'));
		const manifest = JSON.parse(readFileSync(`${ours}.meta.json`, 'utf8')) as SnapshotManifest;
		const theirs = join(dir.path, 'theirs.db');
		mustEtcdctl([`--endpoints=${manifest.member.endpoint}`, `--user=root:${password}`, 'snapshot', 'save', theirs]);

		const ourBytes = readFileSync(ours);
		const theirBytes = readFileSync(theirs);
		assert.ok(ourBytes.length > 6_000_000, `only ${ourBytes.length} bytes`);
		assert.equal(ourBytes.length, theirBytes.length);
		assertSameDatabase(ours, theirs);
		assert.equal(statSync(ours).mode & 0o777, 0o600);
		assert.deepEqual(filesIn(dir.path), ['ours.db', 'ours.db.meta.json', 'theirs.db']);

		for (const file of [ours, theirs]) {
			const status = capture();
			assert.equal(await snapshotStatusCommand(file, 'json', status.io), 0, status.err.join('\n'));
			const printed = JSON.parse(status.out.join('')) as Record<string, unknown>;
			assert.deepEqual(printed, {...etcdctlStatus(file), sha256: 'ok'});
		}
		const table = capture();
		assert.equal(await snapshotStatusCommand(ours, 'table', table.io), 0);
		const simple = mustSnapshotUtil(['snapshot', 'status', ours]).trim();
		const [hash, revision, keys, size] = simple.split(', ');
		assert.match(table.out.join('\n'), new RegExp(`\\| ${hash} \\| +${revision} \\| +${keys} \\| +${size} \\| +ok \\|`));
	});

	it('writes a manifest that tells where the snapshot came from', async () => {
		const file = join(dir.path, 'manifest.db');
		const run = capture();
		assert.equal(await snapshotSaveCommand(config(), file, {isOverwriting: false, from: 'etcd-2'}, run.io), 0, run.err.join('\n'));
		const manifest = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as SnapshotManifest;
		const bytes = readFileSync(file);
		const status = etcdctlStatus(file);
		const endpointStatus = JSON.parse(mustEtcdctl([`--endpoints=${cluster.member('etcd-2').clientUrl}`, `--user=root:${password}`, 'endpoint', 'status', '-w', 'json'])) as Array<{
			Status: {raftTerm: number};
		}>;
		// etcdctl's JSON prints uint64 IDs as numbers that lose precision; its table prints hex.
		const table = mustEtcdctl([`--endpoints=${cluster.member('etcd-2').clientUrl}`, `--user=root:${password}`, 'endpoint', 'status', '-w', 'table']);
		const members = mustEtcdctl([`--endpoints=${cluster.endpoints[0]}`, `--user=root:${password}`, 'member', 'list']);
		assert.equal(manifest.member.name, 'etcd-2');
		assert.equal(manifest.member.endpoint, cluster.member('etcd-2').clientUrl);
		// etcdctl 3.5 draws its table with box-drawing characters, 3.4 with ASCII.
		assert.match(table, new RegExp(`[|│] ${manifest.member.id} [|│]`));
		assert.match(members, new RegExp(`^${manifest.member.id}, started, etcd-2,`, 'm'));
		assert.equal(manifest.raftTerm, endpointStatus[0]!.Status.raftTerm);
		assert.equal(manifest.revision, status.revision);
		assert.equal(manifest.totalKey, status.totalKey);
		// sha256 is the whole file's (what sha256sum prints); etcdSha256 etcd's own, of the database without its trailer.
		assert.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
		assert.equal(manifest.etcdSha256, createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest('hex'));
		assert.equal(manifest.size, bytes.length - 32);
		assert.equal(manifest.fileSize, bytes.length);
		assert.equal(manifest.etcdVersion, testEtcdVersion());
		assert.ok(manifest.raftIndex > 4000, `raft index ${manifest.raftIndex}`);
		assert.ok(Number.isFinite(Date.parse(manifest.createdAt)));
		assert.match(manifest.clusterId, /^[0-9a-f]+$/);
		assert.deepEqual(
			manifest.members.map(member => [member.name, member.peerUrls, member.clientUrls]).sort(),
			cluster.members.map(member => [member.name, [member.peerUrl], [member.clientUrl]]).sort(),
		);
		for (const member of manifest.members) assert.match(members, new RegExp(`^${member.id}, started, ${member.name},`, 'm'));
	});

	it('makes files etcdctl snapshot restore accepts, and restores the data', async () => {
		const file = join(dir.path, 'restore-me.db');
		const run = capture();
		assert.equal(await snapshotSaveCommand(config(), file, {isOverwriting: false}, run.io), 0, run.err.join('\n'));
		const restored = join(dir.path, 'restored');
		const result = snapshotUtil(['snapshot', 'restore', file, `--data-dir=${restored}`, '--name=solo', '--initial-cluster=solo=http://127.0.0.1:1', '--initial-advertise-peer-urls=http://127.0.0.1:1']);
		assert.equal(result.status, 0, result.stderr);
		const restoredDb = join(restored, 'member', 'snap', 'db');
		const before = etcdctlStatus(file);
		assert.equal(etcdctlStatus(restoredDb).revision, before.revision);

		// The trailer is what restore checks: a damaged one must make it refuse, as our status does.
		const bytes = readFileSync(file);
		const damaged = join(dir.path, 'damaged.db');
		writeFileSync(damaged, flipped(bytes, bytes.length - 1));
		const refused = snapshotUtil(['snapshot', 'restore', damaged, `--data-dir=${join(dir.path, 'never')}`]);
		assert.notEqual(refused.status, 0);
		assert.match(refused.stderr, /sha256|hash/i);
		const status = capture();
		assert.equal(await snapshotStatusCommand(damaged, 'json', status.io), 1);
		assert.equal((JSON.parse(status.out.join('')) as {sha256: string}).sha256, 'mismatch');
	});

	it('flags a structurally damaged file as corrupt (exit 1) where etcdctl also fails', async () => {
		const file = join(dir.path, 'restore-me.db');
		const bytes = readFileSync(file);
		const damaged = join(dir.path, 'bad-structure.db');
		// Meta pages lie; root page 3+ header: flip the page type of the root page of the root bucket.
		const root = Number(bytes.readBigUInt64LE(32));
		writeFileSync(damaged, flipped(bytes, root * 4096 + 8));
		const ours = capture();
		assert.equal(await snapshotStatusCommand(damaged, 'table', ours.io), 1);
		assert.match(ours.err.join('\n'), /integrity check failed/);
		assert.notEqual(snapshotUtil(['snapshot', 'status', damaged]).status, 0);
	});

	it('refuses to overwrite without --overwrite, and names unknown members', async () => {
		const file = join(dir.path, 'ours.db');
		const before = readFileSync(file);
		await assert.rejects(snapshotSaveCommand(config(), file, {isOverwriting: false}, capture().io), ConfigError);
		assert.ok(readFileSync(file).equals(before));
		await assert.rejects(snapshotSaveCommand(config(), join(dir.path, 'x.db'), {isOverwriting: false, from: 'etcd-7'}, capture().io), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.match(error.message, /etcd-7.*etcd-1/);
			return true;
		});
		const run = capture();
		assert.equal(await snapshotSaveCommand(config(), file, {isOverwriting: true, from: 'etcd-3'}, run.io), 0, run.err.join('\n'));
		assert.equal((JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as SnapshotManifest).member.name, 'etcd-3');
	});

	it('fails cleanly without credentials on an auth-enabled cluster: the credentials refusal (exit 3), no file', async () => {
		const file = join(dir.path, 'no-auth.db');
		// etcd 3.5 refuses Status itself without a user, etcd 3.4 answers it and refuses the snapshot stream:
		// either way it is the operator's --user to give (commands/errors.ts: exit 3, "give --user NAME").
		await assert.rejects(snapshotSaveCommand(buildConfig({endpoints: cluster.endpoints.join(',')}, {}), file, {isOverwriting: false}, capture().io), (error: unknown) => {
			assert.ok(error instanceof CredentialsRefusedError, String(error));
			assert.equal(exitCodeOf(error), 3);
			assert.match(messageOf(error), /user name is empty.*\(auth is on: give --user NAME/);
			return true;
		});
		assert.ok(!filesIn(dir.path).some(name => name.startsWith('no-auth')));
	});
});
