import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {isAgeFile} from '../../source/snapshot/file/age.js';
import {runCommand} from '../helpers/run-command.js';
import {bufferSource, NotRegularFileError, openFileSource} from '../../source/snapshot/file/bbolt.js';
import {readSourceSnapshotStatus, sizeProblem} from '../../source/snapshot/file/snapshot-status.js';

// Captured with `etcdctl snapshot save` from etcd 3.4.23: 66 keys, revision 63, 40960 database bytes + sha256.
const fixture = readFileSync(new URL('../../../test/fixtures/snapshots/small-3.4.23.db', import.meta.url));
const pageSize = 4096;
const database = fixture.subarray(0, fixture.length - 32);

function statusOf(file: Buffer) {
	return readSourceSnapshotStatus(bufferSource(file));
}

function withTrailer(db: Buffer): Buffer {
	return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

/** A small deterministic generator, so a failure names a case that can be run again. */
function* random(seed: number): Generator<number> {
	let state = seed >>> 0;
	for (;;) {
		state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
		yield state;
	}
}

describe('damaged snapshots', () => {
	it('the captured fixture is sound, with the numbers etcdctl printed for it', () => {
		const status = statusOf(fixture);
		assert.equal(status.isSound, true);
		assert.equal(status.sha256, 'ok');
		assert.deepEqual({hash: status.hash, revision: status.revision, totalKey: status.totalKey, totalSize: status.totalSize}, {hash: 2_066_434_805, revision: 63, totalKey: 66, totalSize: 40_960});
	});

	it('a file cut by 1-31 bytes, or by any amount inside its last page, is damage', () => {
		for (let cut = 1; cut < pageSize + 32; cut += cut < 40 ? 1 : 97) {
			const status = statusOf(fixture.subarray(0, fixture.length - cut));
			if (cut === 32) {
				// Exactly the trailer gone: a bare database, as copied from a data dir.
				assert.equal(status.sha256, 'missing');
				continue;
			}
			assert.equal(status.isSound, false, `cut ${cut}`);
			assert.match(status.problems.join('\n'), /neither whole 4096-byte pages/, `cut ${cut}`);
		}
	});

	it('junk appended after the trailer is damage, whatever its length', () => {
		for (const length of [1, 7, 31, 32, 33, 511, 512, 4096, 4128]) {
			const status = statusOf(Buffer.concat([fixture, Buffer.alloc(length, 0x41)]));
			assert.equal(status.isSound, false, `appended ${length}`);
		}
	});

	it('a database without a trailer is sound only at a whole number of pages', () => {
		const bare = statusOf(database);
		assert.equal(bare.isSound, true);
		assert.equal(bare.sha256, 'missing');
		assert.equal(statusOf(database.subarray(0, database.length - 100)).isSound, false);
	});

	it('the size rule', () => {
		assert.equal(sizeProblem(8192, 4096), undefined);
		assert.equal(sizeProblem(8192 + 32, 4096), undefined);
		assert.match(sizeProblem(8192 + 31, 4096)!, /cut short/);
		assert.match(sizeProblem(8192 + 40, 4096)!, /8232 bytes/);
		// No valid meta page: etcd's own 512-byte test is all that is left.
		assert.equal(sizeProblem(1024 + 32, 0), undefined);
	});

	it('fuzz: bit flips, zeroed pages, truncations and appends never throw; without a recomputed trailer none passes', () => {
		const next = random(20_261_206);
		for (let round = 0; round < 400; round++) {
			const kind = next.next().value % 4;
			let damaged: Buffer;
			let label: string;
			if (kind === 0) {
				const position = next.next().value % database.length;
				damaged = Buffer.from(database);
				damaged[position] = damaged[position]! ^ (1 << (next.next().value % 8));
				label = `bit flip at ${position}`;
			} else if (kind === 1) {
				const page = next.next().value % (database.length / pageSize);
				damaged = Buffer.from(database);
				damaged.fill(0, page * pageSize, (page + 1) * pageSize);
				label = `zeroed page ${page}`;
			} else if (kind === 2) {
				const length = 1 + (next.next().value % database.length);
				damaged = database.subarray(0, database.length - length);
				label = `truncated by ${length}`;
			} else {
				const length = 1 + (next.next().value % 9000);
				damaged = Buffer.concat([database, Buffer.alloc(length, next.next().value & 0xff)]);
				label = `${length} bytes appended`;
			}
			const file = Buffer.concat([damaged, fixture.subarray(fixture.length - 32)]);
			if (damaged.equals(database)) continue;
			assert.equal(statusOf(file).isSound, false, `${label}, old trailer`);
			// With a trailer recomputed over the damage only the structure can tell: it must not throw.
			const recomputed = statusOf(withTrailer(damaged));
			assert.equal(typeof recomputed.isSound, 'boolean', label);
			if (kind >= 2) assert.equal(recomputed.isSound, false, `${label}, recomputed trailer`);
		}
	});
});

describe('files that are not snapshots', () => {
	it('a FIFO is refused at once, by the reader and by snapshot status and restore-plan (exit 3)', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'etcdtop-fifo-'));
		try {
			const fifo = join(dir, 'snapshot.db');
			execFileSync('mkfifo', [fifo]);
			assert.throws(() => openFileSource(fifo), NotRegularFileError);
			assert.throws(() => isAgeFile(fifo), NotRegularFileError);
			for (const args of [['snapshot', 'status', fifo], ['snapshot', 'restore-plan', fifo, '--data-dir', join(dir, 'restored')]]) {
				const result = await runCommand(args);
				assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
				assert.match(result.stderr, /is not a regular file/);
			}
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});
