import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {chmodSync, chownSync, lchownSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import type {Routes} from '../../source/route/routes.js';
import type {S3Store} from '../../source/s3/client.js';
import {parseManifest, serializeManifest, type SnapshotManifest} from '../../source/snapshot/file/manifest.js';
import {applyRemoteRetention} from '../../source/snapshot/remote-dir.js';
import {initialSnapshotsPane, reduceSnapshots} from '../../source/model/snapshots-pane.js';
import {applyRetention, checkSnapshotDir, listSnapshotDir, UnsafeSnapshotDirError} from '../../source/snapshot/snapshot-dir.js';
import {saveFromCluster} from '../../source/snapshot/cluster-save.js';
import {SnapshotSaveError} from '../../source/snapshot/save.js';
import {filesIn, tempDir} from '../helpers/temp-files.js';

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A plain snapshot's bytes (database + etcd's trailer) and the manifest etcdtop writes for it. */
function snapshotFile(name: string, createdAt: string, fill = name): {bytes: Buffer; manifest: SnapshotManifest} {
	const db = Buffer.from(`database of ${fill}`.padEnd(4096, '.'));
	const bytes = Buffer.concat([db, createHash('sha256').update(db).digest()]);
	const manifest: SnapshotManifest = {
		manifestVersion: 1,
		file: name,
		createdAt,
		clusterId: 'cdf818194e3a8c32',
		member: {id: '8e9e05c52164694d', name: 'etcd-1', endpoint: 'http://127.0.0.1:2379'},
		revision: 1,
		raftTerm: 2,
		raftIndex: 3,
		sha256: sha(bytes),
		etcdSha256: sha(db),
		size: db.length,
		fileSize: bytes.length,
		totalKey: 0,
		etcdVersion: '3.4.23',
		members: [{name: 'etcd-1', id: '8e9e05c52164694d', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false}],
	};
	return {bytes, manifest};
}

function snapshot(directory: string, name: string, createdAt: string, withManifest = true): SnapshotManifest {
	const {bytes, manifest} = snapshotFile(name, createdAt);
	writeFileSync(join(directory, name), bytes);
	if (withManifest) writeFileSync(join(directory, `${name}.meta.json`), serializeManifest(manifest));
	return manifest;
}

test('listing: newest first by manifest time, manifests, .part files and directories left out', () => {
	const dir = tempDir();
	try {
		snapshot(dir.path, 'b.db', '2026-01-02T00:00:00Z');
		snapshot(dir.path, 'a.db.age', '2026-01-03T00:00:00Z');
		writeFileSync(join(dir.path, 'c.db.part'), 'x');
		mkdirSync(join(dir.path, 'sub'));
		const entries = listSnapshotDir(dir.path);
		assert.deepEqual(entries.map(entry => entry.name), ['a.db.age', 'b.db']);
		assert.equal(entries[0]!.isEncrypted, true);
		assert.deepEqual(listSnapshotDir(join(dir.path, 'missing')), []);
	} finally {
		dir.remove();
	}
});

test('a manifest with a field of the wrong type is no manifest (the pane and retention never trust it)', () => {
	const {manifest} = snapshotFile('a.db', '2026-01-01T00:00:00Z');
	assert.ok(parseManifest(serializeManifest(manifest)));
	const {etcdSha256: _, ...old} = manifest;
	assert.ok(parseManifest(JSON.stringify(old)), 'an older etcdtop wrote no etcdSha256');
	for (const bad of [{sha256: 42}, {sha256: 'x'.repeat(64)}, {members: 'etcd-1'}, {member: null}, {fileSize: -1}, {file: ['a.db']}, {manifestVersion: 2}]) {
		assert.equal(parseManifest(JSON.stringify({...manifest, ...bad})), undefined, JSON.stringify(bad));
	}
	assert.equal(parseManifest('not json'), undefined);
	assert.equal(parseManifest('null'), undefined);
});

test('applyRetention removes only files etcdtop wrote, oldest first, with their manifests; a failed one does not count as verified', async () => {
	const dir = tempDir();
	try {
		snapshot(dir.path, 's1.db', '2026-01-01T00:00:00Z');
		snapshot(dir.path, 's2.db', '2026-01-02T00:00:00Z');
		snapshot(dir.path, 's3.db', '2026-01-03T00:00:00Z');
		snapshot(dir.path, 'foreign.db', '', false);
		assert.deepEqual(await applyRetention(dir.path, 2), {removed: ['s1.db'], leftAlone: []});
		assert.deepEqual(readdirSync(dir.path).sort(), ['foreign.db', 's2.db', 's2.db.meta.json', 's3.db', 's3.db.meta.json']);
		// s3 failed verification: keep 1 must still keep s2, the newest good one.
		assert.deepEqual((await applyRetention(dir.path, 1, new Set(['s3.db']))).removed, []);
	} finally {
		dir.remove();
	}
});

describe('retention deletes a file only when its manifest names it and its size and sha256 are what etcdtop recorded', () => {
	test('a manifest naming another file, a changed size, a changed byte, a link: each left alone and reported', async () => {
		const dir = tempDir();
		try {
			const at = (day: number) => `2026-01-0${day}T00:00:00Z`;
			// The operator's own file, given an old etcdtop manifest copied from another snapshot.
			const precious = snapshotFile('backup-before-upgrade.db', at(1));
			writeFileSync(join(dir.path, 'precious.db'), 'the only copy of something');
			writeFileSync(join(dir.path, 'precious.db.meta.json'), serializeManifest(precious.manifest));
			// Grown since etcdtop wrote it (same name).
			snapshot(dir.path, 'grown.db', at(2));
			writeFileSync(join(dir.path, 'grown.db'), Buffer.concat([readFileSync(join(dir.path, 'grown.db')), Buffer.from('more')]));
			// Same size, one byte changed.
			snapshot(dir.path, 'changed.db', at(3));
			const changed = readFileSync(join(dir.path, 'changed.db'));
			changed[100] = changed[100]! ^ 1;
			writeFileSync(join(dir.path, 'changed.db'), changed);
			// A link to a file outside, whose manifest matches the target.
			const outside = tempDir();
			const target = snapshotFile('linked.db', at(4));
			writeFileSync(join(outside.path, 'linked.db'), target.bytes);
			symlinkSync(join(outside.path, 'linked.db'), join(dir.path, 'linked.db'));
			writeFileSync(join(dir.path, 'linked.db.meta.json'), serializeManifest(target.manifest));
			// The good ones.
			snapshot(dir.path, 'old.db', at(5));
			snapshot(dir.path, 'new.db', at(6));

			const outcome = await applyRetention(dir.path, 1);
			assert.deepEqual(outcome.removed, ['old.db']);
			const why = Object.fromEntries(outcome.leftAlone.map(entry => [entry.name, entry.why]));
			assert.match(why['precious.db']!, /names another file \("backup-before-upgrade\.db"\)/);
			assert.match(why['grown.db']!, /is 4132 bytes, its manifest says 4128/);
			assert.match(why['changed.db']!, /sha256 is not its manifest's/);
			assert.match(why['linked.db']!, /symbolic link/);
			assert.deepEqual(readdirSync(dir.path).sort(), [
				'changed.db', 'changed.db.meta.json', 'grown.db', 'grown.db.meta.json', 'linked.db', 'linked.db.meta.json', 'new.db', 'new.db.meta.json', 'precious.db', 'precious.db.meta.json',
			]);
			assert.equal(readFileSync(join(outside.path, 'linked.db')).length, target.bytes.length);
			outside.remove();
		} finally {
			dir.remove();
		}
	});

	test('--dry-run checks the same way and removes nothing', async () => {
		const dir = tempDir();
		try {
			snapshot(dir.path, 'a.db', '2026-01-01T00:00:00Z');
			snapshot(dir.path, 'b.db', '2026-01-02T00:00:00Z');
			writeFileSync(join(dir.path, 'a.db'), Buffer.alloc(4128));
			assert.deepEqual((await applyRetention(dir.path, 1, new Set(), {isDryRun: true})).leftAlone.map(entry => entry.name), ['a.db']);
			assert.equal(readdirSync(dir.path).length, 4);
		} finally {
			dir.remove();
		}
	});

	test('a manifest from an older etcdtop (sha256 = etcd\'s hash of the database): a plain file is checked by it, an encrypted one left', async () => {
		const dir = tempDir();
		try {
			for (const [name, day] of [['old-plain.db', 1], ['old-enc.db.age', 2], ['newest.db', 3]] as const) {
				const {bytes, manifest} = snapshotFile(name, `2026-01-0${day}T00:00:00Z`);
				const {etcdSha256, ...rest} = manifest;
				writeFileSync(join(dir.path, name), bytes);
				writeFileSync(join(dir.path, `${name}.meta.json`), JSON.stringify({...rest, sha256: etcdSha256, ...(name.endsWith('.age') ? {encryption: {kind: 'scrypt'}} : {})}));
			}
			const outcome = await applyRetention(dir.path, 1);
			assert.deepEqual(outcome.removed, ['old-plain.db']);
			assert.deepEqual(outcome.leftAlone, [{name: 'old-enc.db.age', why: 'its manifest (from an older etcdtop) records no sha256 of the encrypted file'}]);
		} finally {
			dir.remove();
		}
	});

	test('in a bucket: the same rules, the object read through sha256 before it is removed', async () => {
		const objects = new Map<string, Buffer>();
		const put = (key: string, bytes: Buffer | string) => objects.set(key, Buffer.from(bytes));
		const at = (day: number) => `2026-01-0${day}T00:00:00Z`;
		const saved = (key: string, day: number) => {
			const name = key.slice(key.lastIndexOf('/') + 1);
			const {bytes, manifest} = snapshotFile(name, at(day));
			put(key, bytes);
			put(`${key}.meta.json`, serializeManifest(manifest));
			return {bytes, manifest};
		};
		saved('p/c/20260101T000000Z-rev1.db', 1);
		const other = saved('p/c/20260102T000000Z-rev2.db', 2);
		put('p/c/20260103T000000Z-rev3.db', Buffer.alloc(other.bytes.length));
		put('p/c/20260103T000000Z-rev3.db.meta.json', serializeManifest({...other.manifest, file: '20260103T000000Z-rev3.db', createdAt: at(3)}));
		put('p/c/20260104T000000Z-rev4.db', 'not a snapshot at all');
		put('p/c/20260104T000000Z-rev4.db.meta.json', serializeManifest({...other.manifest, createdAt: at(4)}));
		saved('p/c/20260105T000000Z-rev5.db', 5);
		const deleted: string[] = [];
		const store = {
			list: async (_bucket: string, prefix: string) => [...objects].filter(([key]) => key.startsWith(prefix)).map(([key, bytes]) => ({key, size: bytes.length, lastModified: 0})),
			getText: async (_bucket: string, key: string) => objects.get(key)?.toString('utf8'),
			getStream: async (_bucket: string, key: string) => ({body: Readable.from([objects.get(key)!]), size: objects.get(key)!.length}),
			delete: async (_bucket: string, key: string) => {
				deleted.push(key);
				objects.delete(key);
			},
		} as unknown as S3Store;
		const outcome = await applyRemoteRetention(store, {bucket: 'b', key: 'p/'}, 1);
		assert.deepEqual(outcome.removed, ['s3://b/p/c/20260102T000000Z-rev2.db', 's3://b/p/c/20260101T000000Z-rev1.db']);
		assert.deepEqual(deleted, ['p/c/20260102T000000Z-rev2.db', 'p/c/20260102T000000Z-rev2.db.meta.json', 'p/c/20260101T000000Z-rev1.db', 'p/c/20260101T000000Z-rev1.db.meta.json']);
		const why = Object.fromEntries(outcome.leftAlone.map(entry => [entry.name, entry.why]));
		assert.match(why['s3://b/p/c/20260103T000000Z-rev3.db']!, /sha256 is not its manifest's/);
		assert.match(why['s3://b/p/c/20260104T000000Z-rev4.db']!, /names another file/);
	});
});

test('the Snapshots pane says which files --keep left alone, and why', () => {
	const state = reduceSnapshots(initialSnapshotsPane('/backups'), {type: 'save-finished', name: 'new.db', at: 1, removed: ['old.db'], leftAlone: [{name: 'precious.db', why: 'its manifest names another file ("a.db")'}]});
	assert.equal(state.notice, 'saved new.db; --keep removed old.db; --keep left precious.db alone: its manifest names another file ("a.db")');
});

describe('the snapshot directory is refused when another user could redirect or fill it (as ssh StrictModes)', () => {
	const isRoot = process.geteuid?.() === 0;
	/** Any use of the routes fails the test: a refused directory stops the save before a member is asked. */
	const noRoutes = new Proxy({}, {get: () => assert.fail('the save asked a member')}) as Routes;
	/** nobody: another user, as a local attacker would be. */
	const other = 65534;
	const refusal = (path: string) => {
		try {
			checkSnapshotDir(path);
		} catch (error) {
			assert.ok(error instanceof UnsafeSnapshotDirError, String(error));
			return error;
		}
		return undefined;
	};

	test('a private directory, a missing one, a link of its own to a private directory, and one under a sticky /tmp-like directory pass', () => {
		const dir = tempDir();
		try {
			const own = join(dir.path, 'own');
			mkdirSync(own, {mode: 0o700});
			assert.equal(refusal(own), undefined);
			assert.equal(refusal(join(dir.path, 'missing', 'deeper')), undefined);
			symlinkSync(own, join(dir.path, 'link'));
			assert.equal(refusal(join(dir.path, 'link')), undefined);
			const sticky = join(dir.path, 'sticky');
			mkdirSync(sticky);
			chmodSync(sticky, 0o1777);
			mkdirSync(join(sticky, 'snaps'), {mode: 0o700});
			assert.equal(refusal(join(sticky, 'snaps')), undefined);
			assert.deepEqual(listSnapshotDir(join(sticky, 'snaps')), []);
		} finally {
			dir.remove();
		}
	});

	test('a directory writable by its group or others, or below a non-sticky one others can write, is refused with its mode and the fix', async () => {
		const dir = tempDir();
		try {
			const open = join(dir.path, 'open');
			mkdirSync(open);
			for (const [mode, who] of [[0o777, 'its group and others'], [0o770, 'its group'], [0o1777, 'its group and others'], [0o703, 'others']] as const) {
				chmodSync(open, mode);
				const error = refusal(open);
				assert.ok(error, `mode ${mode.toString(8)} passed`);
				assert.equal(error.problem, `${open} is writable by ${who} (mode ${mode.toString(8).padStart(4, '0')})`);
				assert.match(error.fix, /chmod go-w/);
			}
			chmodSync(open, 0o777);
			mkdirSync(join(open, 'snaps'), {mode: 0o700});
			assert.match(refusal(join(open, 'snaps'))?.problem ?? 'passed', new RegExp(`^${open} is writable`));
			// Listing and pruning refuse it too: the pane never offers a file someone else put there.
			assert.throws(() => listSnapshotDir(join(open, 'snaps')), UnsafeSnapshotDirError);
			await assert.rejects(applyRetention(join(open, 'snaps'), 1), UnsafeSnapshotDirError);
		} finally {
			dir.remove();
		}
	});

	test('a symbolic link another user planted at the snapshot directory is not followed: save, list and prune refuse it and write nothing', {skip: !isRoot && 'needs root to chown to nobody'}, async () => {
		const dir = tempDir();
		const elsewhere = tempDir();
		try {
			const planted = join(dir.path, 'snapshots');
			symlinkSync(elsewhere.path, planted);
			lchownSync(planted, other, other);
			snapshot(elsewhere.path, 'a.db', '2026-01-01T00:00:00Z');
			snapshot(elsewhere.path, 'b.db', '2026-01-02T00:00:00Z');
			const error = refusal(planted);
			assert.ok(error);
			assert.equal(error.problem, `${planted} is a symbolic link owned by uid ${other}, not by this user (uid 0) or root: its owner decides where snapshots go`);
			assert.throws(() => listSnapshotDir(planted), UnsafeSnapshotDirError);
			await assert.rejects(applyRetention(planted, 1), UnsafeSnapshotDirError);
			await assert.rejects(
				saveFromCluster({endpoints: ['http://127.0.0.1:1'], isDiscovering: false, commandTimeoutMs: 100}, join(planted, 'x.db'), {isOverwriting: false, isCreatingDirectory: true, routes: noRoutes}),
				(thrown: unknown) => thrown instanceof SnapshotSaveError && thrown.kind === 'unsafe-directory' && thrown.input?.input === '--snapshot-dir',
			);
			assert.deepEqual(filesIn(elsewhere.path), ['a.db', 'a.db.meta.json', 'b.db', 'b.db.meta.json']);
		} finally {
			dir.remove();
			elsewhere.remove();
		}
	});

	test('a directory, or a directory above it, that belongs to another user is refused; so is a link of its own to one', {skip: !isRoot && 'needs root to chown to nobody'}, () => {
		const dir = tempDir();
		try {
			const theirs = join(dir.path, 'theirs');
			mkdirSync(join(theirs, 'snaps'), {recursive: true, mode: 0o700});
			chownSync(theirs, other, other);
			assert.equal(refusal(theirs)?.problem, `${theirs} belongs to uid ${other}, not to this user (uid 0) or root`);
			assert.equal(refusal(join(theirs, 'snaps'))?.problem, `${theirs} belongs to uid ${other}, not to this user (uid 0) or root`);
			symlinkSync(theirs, join(dir.path, 'mine'));
			assert.equal(refusal(join(dir.path, 'mine'))?.problem, `${theirs} belongs to uid ${other}, not to this user (uid 0) or root`);
		} finally {
			dir.remove();
		}
	});
});
