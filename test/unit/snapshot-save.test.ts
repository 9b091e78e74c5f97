import assert from 'node:assert/strict';
import {createHash, randomBytes} from 'node:crypto';
import {lstatSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, it} from 'node:test';
import type {SnapshotMessage} from '../../source/etcd/snapshot-response.js';
import {saveSnapshot, SnapshotSaveError, type OpenSnapshotStream, type SaveSnapshotOptions} from '../../source/snapshot/save.js';
import {filesIn, tempDir} from '../helpers/temp-files.js';

/** What etcd sends: 32 KiB messages counting down remaining_bytes, then the sha256 of everything sent. */
function etcdMessages(db: Buffer, {chunk = 32 * 1024, sha = createHash('sha256').update(db).digest()} = {}): SnapshotMessage[] {
	const messages: SnapshotMessage[] = [];
	for (let sent = 0; sent < db.length; ) {
		const blob = db.subarray(sent, sent + chunk);
		sent += blob.length;
		messages.push({blob, remainingBytes: db.length - sent});
	}
	messages.push({blob: sha, remainingBytes: 0});
	return messages;
}

function streamOf(messages: readonly SnapshotMessage[], {hangAfter, failAfter}: {hangAfter?: number; failAfter?: number} = {}): OpenSnapshotStream {
	return async function* (signal: AbortSignal) {
		let index = 0;
		for (const message of messages) {
			if (index === hangAfter) await new Promise(() => undefined);
			if (index === failAfter) throw Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), {code: 14});
			signal.throwIfAborted();
			yield message;
			index++;
			await new Promise(resolve => setImmediate(resolve));
		}
	};
}

describe('saveSnapshot', () => {
	let dir: ReturnType<typeof tempDir>;
	let path: string;
	const db = randomBytes(300 * 1024 + 123);
	const options = (extra: Partial<SaveSnapshotOptions> = {}): SaveSnapshotOptions => ({path, isOverwriting: false, idleTimeoutMs: 10_000, ...extra});

	beforeEach(() => {
		dir = tempDir();
		path = join(dir.path, 'backup.db');
	});
	afterEach(() => dir.remove());

	async function rejectsWith(promise: Promise<unknown>, kind: SnapshotSaveError['kind'], message?: RegExp): Promise<void> {
		await assert.rejects(promise, (error: unknown) => {
			assert.ok(error instanceof SnapshotSaveError, String(error));
			assert.equal(error.kind, kind, error.message);
			if (message) assert.match(error.message, message);
			return true;
		});
	}

	it('a link planted at FILE.meta.json.part is removed, never followed: its target keeps its bytes and mode', async () => {
		const victim = join(dir.path, 'victim.txt');
		writeFileSync(victim, 'precious', {mode: 0o644});
		symlinkSync(victim, `${path}.meta.json.part`);
		await saveSnapshot(streamOf(etcdMessages(db)), options({beforeCommit: async () => [{path: `${path}.meta.json`, content: '{}\n'}]}));
		assert.equal(readFileSync(victim, 'utf8'), 'precious');
		assert.equal(statSync(victim).mode & 0o777, 0o644);
		assert.equal(readFileSync(`${path}.meta.json`, 'utf8'), '{}\n');
		assert.equal(lstatSync(`${path}.meta.json`).isSymbolicLink(), false);
	});

	it('a link planted at FILE.part is refused: the save fails and the target is untouched', async () => {
		const victim = join(dir.path, 'victim.txt');
		writeFileSync(victim, 'precious', {mode: 0o644});
		symlinkSync(victim, `${path}.part`);
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db)), options()), 'part-exists');
		assert.equal(readFileSync(victim, 'utf8'), 'precious');
		assert.equal(statSync(victim).mode & 0o777, 0o644);
	});

	it('writes the database and etcd’s trailer byte for byte, mode 0600, and nothing else', async () => {
		const result = await saveSnapshot(streamOf(etcdMessages(db)), options());
		const written = readFileSync(path);
		assert.equal(written.length, db.length + 32);
		assert.ok(written.subarray(0, db.length).equals(db));
		assert.ok(written.subarray(db.length).equals(createHash('sha256').update(db).digest()));
		assert.equal(statSync(path).mode & 0o777, 0o600);
		assert.equal(result.dbSize, db.length);
		assert.equal(result.etcdSha256, createHash('sha256').update(db).digest('hex'));
		assert.equal(result.fileSha256, createHash('sha256').update(readFileSync(path)).digest('hex'), 'what sha256sum prints');
		assert.deepEqual(filesIn(dir.path), ['backup.db']);
	});

	it('handles a database that is an exact multiple of the message size (etcd then sends an empty last blob)', async () => {
		const even = randomBytes(64 * 1024);
		const messages = etcdMessages(even);
		messages.splice(messages.length - 1, 0, {blob: Buffer.alloc(0), remainingBytes: 0});
		await saveSnapshot(streamOf(messages), options());
		assert.equal(readFileSync(path).length, even.length + 32);
	});

	it('accepts a trailer split across messages', async () => {
		const sha = createHash('sha256').update(db).digest();
		const messages = etcdMessages(db).slice(0, -1);
		const last = messages.pop()!;
		messages.push({blob: Buffer.concat([last.blob, sha.subarray(0, 5)]), remainingBytes: 0}, {blob: sha.subarray(5), remainingBytes: 0});
		await saveSnapshot(streamOf(messages), options());
		assert.ok(readFileSync(path).subarray(db.length).equals(sha));
	});

	it('discards a snapshot whose sha256 does not match and leaves no file', async () => {
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db, {sha: Buffer.alloc(32, 7)})), options()), 'hash-mismatch', /sha256 mismatch/);
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('discards a snapshot whose data was damaged in flight', async () => {
		const messages = etcdMessages(db);
		const damaged = Buffer.from(messages[3]!.blob);
		damaged[100] = damaged[100]! ^ 1;
		messages[3] = {...messages[3]!, blob: damaged};
		await rejectsWith(saveSnapshot(streamOf(messages), options()), 'hash-mismatch');
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('reports a stream that ends early, with and without the checksum', async () => {
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db).slice(0, 4)), options()), 'truncated', /ended after 131072 of/);
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db).slice(0, -1)), options()), 'truncated', /without etcd's sha256/);
		await rejectsWith(saveSnapshot(streamOf([]), options()), 'truncated', /without sending any data/);
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('rejects extra bytes after the checksum', async () => {
		const messages = [...etcdMessages(db), {blob: Buffer.from('more'), remainingBytes: 0}];
		await rejectsWith(saveSnapshot(streamOf(messages), options()), 'invalid', /36 bytes after the database/);
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('gives up on a member that stops sending, and cleans up', async () => {
		const started = Date.now();
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db), {hangAfter: 3}), options({idleTimeoutMs: 300})), 'idle-timeout', /sent no data for 0.3s/);
		assert.ok(Date.now() - started < 5000);
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('reports a stream error mid-way in an operator’s words, and cleans up', async () => {
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db), {failAfter: 2}), options()), 'stream', /unreachable.*Connection dropped/);
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('stops at once when aborted mid-stream, and cleans up', async () => {
		const controller = new AbortController();
		let seen = 0;
		const promise = saveSnapshot(streamOf(etcdMessages(db), {hangAfter: 6}), {
			...options({signal: controller.signal}),
			onProgress: () => {
				if (++seen === 2) controller.abort();
			},
		});
		await rejectsWith(promise, 'aborted', /interrupted/);
		assert.deepEqual(filesIn(dir.path), []);
	});

	it('refuses to overwrite an existing file, and replaces it when asked', async () => {
		writeFileSync(path, 'precious');
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db)), options()), 'exists', /already exists/);
		assert.equal(readFileSync(path, 'utf8'), 'precious');
		await saveSnapshot(streamOf(etcdMessages(db)), options({isOverwriting: true}));
		assert.equal(readFileSync(path).length, db.length + 32);
		assert.deepEqual(filesIn(dir.path), ['backup.db']);
	});

	it('leaves a file that appears during the save alone', async () => {
		const stream: OpenSnapshotStream = async function* (signal) {
			for (const [index, message] of etcdMessages(db).entries()) {
				if (index === 2) writeFileSync(path, 'raced');
				signal.throwIfAborted();
				yield message;
			}
		};
		await rejectsWith(saveSnapshot(stream, options()), 'exists', /appeared during the save/);
		assert.equal(readFileSync(path, 'utf8'), 'raced');
		assert.deepEqual(filesIn(dir.path), ['backup.db']);
	});

	it('does not touch a FILE.part it did not create', async () => {
		writeFileSync(`${path}.part`, 'someone else');
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db)), options()), 'part-exists', /another save is running/);
		assert.equal(readFileSync(`${path}.part`, 'utf8'), 'someone else');
	});

	it('reports a missing directory', async () => {
		path = join(dir.path, 'missing', 'backup.db');
		await rejectsWith(saveSnapshot(streamOf(etcdMessages(db)), options()), 'no-directory', /does not exist/);
	});

	it('commits sidecars with the snapshot, and removes everything when the check before commit fails', async () => {
		await saveSnapshot(streamOf(etcdMessages(db)), options({beforeCommit: async () => [{path: `${path}.meta.json`, content: '{"ok":true}\n'}]}));
		assert.deepEqual(filesIn(dir.path), ['backup.db', 'backup.db.meta.json']);
		assert.equal(statSync(`${path}.meta.json`).mode & 0o777, 0o600);
		dir.remove();
		dir = tempDir();
		path = join(dir.path, 'backup.db');
		await rejectsWith(
			saveSnapshot(
				streamOf(etcdMessages(db)),
				options({
					beforeCommit: async partPath => {
						assert.equal(readFileSync(partPath).length, db.length + 32);
						throw new SnapshotSaveError('invalid', 'the received database fails its integrity check');
					},
				}),
			),
			'invalid',
		);
		assert.deepEqual(filesIn(dir.path), []);
	});
});
