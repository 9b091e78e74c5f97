import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {bboltMagic, bufferSource, fnv1a64, noFreelist, pageFlag, scanBbolt} from '../../source/snapshot/file/bbolt.js';
import {crc32c, Crc32c} from '../../source/snapshot/file/crc32c.js';
import {readDbStatus, readSnapshotStatus} from '../../source/snapshot/file/snapshot-status.js';
import {gunzipSync} from 'node:zlib';
import {flipped, tempDir, withFreshTrailer} from '../helpers/temp-files.js';

const pageSize = 4096;

/** Damaged copies are checked in memory: the same reader code, fed from a buffer instead of a file. */
function statusOf(file: Buffer) {
	return readDbStatus(bufferSource(file));
}

/** Page ids of every page the B+trees reach, found by walking the headers the way the reader does. */
function reachablePages(db: Buffer): number[] {
	const root = Number(db.readBigUInt64LE(16 + 16));
	const pages: number[] = [];
	const visit = (pgid: number) => {
		pages.push(pgid);
		const offset = pgid * pageSize;
		const flags = db.readUInt16LE(offset + 8);
		const count = db.readUInt16LE(offset + 10);
		for (let index = 0; index < count; index++) {
			const element = offset + 16 + index * 16;
			if (flags === pageFlag.branch) visit(Number(db.readBigUInt64LE(element + 8)));
			else if (db.readUInt32LE(element) & 1) {
				const keyStart = element + db.readUInt32LE(element + 4);
				const bucketRoot = Number(db.readBigUInt64LE(keyStart + db.readUInt32LE(element + 8)));
				if (bucketRoot !== 0) visit(bucketRoot);
			}
		}
	};
	visit(root);
	return pages;
}

describe('crc32c', () => {
	it('matches the Castagnoli check value and is the same fed in pieces', () => {
		assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
		assert.equal(crc32c(Buffer.alloc(0)), 0);
		const data = Buffer.from(Array.from({length: 1000}, (_, index) => (index * 31) & 0xff));
		const pieces = new Crc32c().update(data.subarray(0, 3)).update(data.subarray(3, 517)).update(data.subarray(517));
		assert.equal(pieces.value, crc32c(data));
		assert.notEqual(crc32c(data), crc32c(Buffer.concat([data, Buffer.from([0])])));
		// The word path must agree with the byte path at every alignment and length.
		const bytewise = (bytes: Uint8Array) => {
			let crc = 0xffffffff;
			for (const byte of bytes) {
				crc ^= byte;
				for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
			}
			return (crc ^ 0xffffffff) >>> 0;
		};
		for (let start = 0; start < 8; start++) {
			for (const length of [63, 64, 65, 100, 257, 900]) {
				const slice = data.subarray(start, start + length);
				assert.equal(crc32c(slice), bytewise(slice), `offset ${start}, length ${length}`);
			}
		}
	});
});

describe('bbolt reader on a synthetic file with a freelist', () => {
	// etcd 3.4 never writes a freelist (NoFreelistSync), so that path is exercised on a hand-built file:
	// pages 0-1 meta, 2 freelist, 3 root leaf holding an inline bucket "key" with two revisions, 4 free.
	function build({freelist = [4n], pgid = 5n}: {freelist?: bigint[]; pgid?: bigint} = {}): Buffer {
		const file = Buffer.alloc(Number(pgid) * pageSize);
		for (const id of [0, 1]) {
			const page = file.subarray(id * pageSize);
			page.writeBigUInt64LE(BigInt(id), 0);
			page.writeUInt16LE(pageFlag.meta, 8);
			const meta = page.subarray(16);
			meta.writeUInt32LE(bboltMagic, 0);
			meta.writeUInt32LE(2, 4);
			meta.writeUInt32LE(pageSize, 8);
			meta.writeBigUInt64LE(3n, 16);
			meta.writeBigUInt64LE(2n, 32);
			meta.writeBigUInt64LE(pgid, 40);
			meta.writeBigUInt64LE(10n - BigInt(id), 48);
			meta.writeBigUInt64LE(fnv1a64(meta.subarray(0, 56)), 56);
		}
		const free = file.subarray(2 * pageSize);
		free.writeBigUInt64LE(2n, 0);
		free.writeUInt16LE(pageFlag.freelist, 8);
		free.writeUInt16LE(freelist.length, 10);
		freelist.forEach((id, index) => free.writeBigUInt64LE(id, 16 + index * 8));
		// The inline bucket: bucket header (root 0), then a leaf page with two elements.
		const keys = [Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 7, 0x5f]), Buffer.alloc(8)]), Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 9, 0x5f]), Buffer.alloc(8)])];
		const values = [Buffer.from('seven'), Buffer.from('nine!')];
		const inline = Buffer.alloc(16 + 16 + 2 * 16 + 2 * (17 + 5));
		inline.writeUInt16LE(pageFlag.leaf, 16 + 8);
		inline.writeUInt16LE(2, 16 + 10);
		let data = 16 + 16 + 32;
		keys.forEach((key, index) => {
			const element = 16 + 16 + index * 16;
			inline.writeUInt32LE(data - element, element + 4);
			inline.writeUInt32LE(key.length, element + 8);
			inline.writeUInt32LE(values[index]!.length, element + 12);
			key.copy(inline, data);
			values[index]!.copy(inline, data + key.length);
			data += key.length + values[index]!.length;
		});
		const root = file.subarray(3 * pageSize);
		root.writeBigUInt64LE(3n, 0);
		root.writeUInt16LE(pageFlag.leaf, 8);
		root.writeUInt16LE(1, 10);
		root.writeUInt32LE(1, 16);
		root.writeUInt32LE(16, 20);
		root.writeUInt32LE(3, 24);
		root.writeUInt32LE(inline.length, 28);
		Buffer.from('key').copy(root, 32);
		inline.copy(root, 35);
		file.writeBigUInt64LE(4n, 4 * pageSize);
		return file;
	}

	it('reads a sound file and computes etcdctl’s numbers', () => {
		const status = statusOf(build());
		assert.deepEqual(status.problems, []);
		assert.equal(status.revision, 9);
		assert.equal(status.totalKey, 2);
		assert.equal(status.totalSize, 5 * pageSize);
		const expected = crc32c(Buffer.concat([Buffer.from('key'), ...[7, 9].flatMap((rev, index) => [Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, rev, 0x5f]), Buffer.alloc(8)]), Buffer.from(index === 0 ? 'seven' : 'nine!')])]));
		assert.equal(status.hash, expected);
	});

	const cases: ReadonlyArray<readonly [string, Parameters<typeof build>[0], RegExp]> = [
		['a page neither reachable nor free', {freelist: []}, /page 4: unreachable unfreed/],
		['a reachable page on the freelist', {freelist: [4n, 3n]}, /page 3: reachable freed/],
		['a page freed twice', {freelist: [4n, 4n]}, /page 4: already freed/],
		['a freelist id beyond the high-water mark', {freelist: [4n, 9n]}, /page 9 is out of bounds/],
	];
	for (const [name, options, pattern] of cases) {
		it(`reports ${name}`, () => {
			const status = statusOf(build(options));
			assert.ok(status.problems.some(problem => pattern.test(problem)), status.problems.join('\n'));
		});
	}

	it('falls back to meta 1 like bbolt when meta 0 is damaged, but calls the file damaged', () => {
		const file = build();
		file.writeUInt32LE(0, 16);
		const status = statusOf(file);
		assert.equal(status.totalKey, 2);
		assert.ok(status.problems.some(problem => /meta page 0: invalid database/.test(problem)));
	});

	it('rejects files with no valid meta page or too small to hold one', () => {
		const file = build();
		file.writeUInt32LE(0, 16);
		file.writeUInt32LE(0, pageSize + 16);
		assert.ok(statusOf(file).problemCount > 0);
		assert.match(scanBbolt(bufferSource(Buffer.alloc(100))).problems[0]!, /too small/);
		assert.ok(noFreelist > 0n);
	});
});

/** What etcdctl 3.4.23's `snapshot status -w json` printed for each captured file (capture-snapshot-fixtures.ts). */
interface CapturedStatuses {
	readonly largeValues: number;
	readonly largeValueBytes: number;
	readonly snapshot: EtcdctlStatus;
	readonly bare: EtcdctlStatus;
	readonly live: EtcdctlStatus;
}

interface EtcdctlStatus {
	readonly hash: number;
	readonly revision: number;
	readonly totalKey: number;
	readonly totalSize: number;
}

const fixture = (name: string) => new URL(`../../../test/fixtures/snapshots/${name}`, import.meta.url);

describe('bbolt reader on snapshots captured from a real etcd 3.4.23', () => {
	const dir = tempDir();
	const captured = JSON.parse(readFileSync(fixture('tree-3.4.23.json'), 'utf8')) as CapturedStatuses;
	const snapshot = gunzipSync(readFileSync(fixture('tree-3.4.23.db.gz')));
	const snapshotPath = join(dir.path, 'fixture.db');
	const livePath = join(dir.path, 'live.db');

	before(() => {
		writeFileSync(snapshotPath, snapshot);
		writeFileSync(livePath, gunzipSync(readFileSync(fixture('tree-3.4.23.live.db.gz'))));
	});

	after(() => dir.remove());

	it('has branch pages and overflow pages, so the test is not trivial', () => {
		const pages = reachablePages(snapshot);
		assert.ok(pages.some(pgid => snapshot.readUInt16LE(pgid * pageSize + 8) === pageFlag.branch), 'no branch page');
		assert.ok(pages.some(pgid => snapshot.readUInt32LE(pgid * pageSize + 12) > 0), 'no overflow page');
	});

	it('prints exactly what etcdctl snapshot status prints, and checks the trailer', async () => {
		const ours = await readSnapshotStatus(snapshotPath);
		assert.deepEqual({hash: ours.hash, revision: ours.revision, totalKey: ours.totalKey, totalSize: ours.totalSize}, captured.snapshot);
		assert.equal(ours.sha256, 'ok');
		assert.equal(ours.isSound, true);
		assert.ok(captured.snapshot.totalKey > 200 && captured.snapshot.revision > 200);
	});

	it('reads a live data-dir database (no trailer) as etcdctl does', async () => {
		const ours = await readSnapshotStatus(livePath);
		assert.deepEqual({hash: ours.hash, revision: ours.revision, totalKey: ours.totalKey, totalSize: ours.totalSize}, captured.live);
		assert.equal(ours.sha256, 'missing');
		assert.equal(ours.isSound, true);
	});

	it('finds a snapshot without its trailer sound but says the trailer is missing', async () => {
		const bare = join(dir.path, 'bare.db');
		writeFileSync(bare, snapshot.subarray(0, snapshot.length - 32));
		const ours = await readSnapshotStatus(bare);
		assert.equal(ours.sha256, 'missing');
		assert.deepEqual({hash: ours.hash, revision: ours.revision, totalKey: ours.totalKey, totalSize: ours.totalSize}, captured.bare);
	});

	for (const [name, cut] of [
		['in the middle of the file', (size: number) => Math.floor(size / 2)],
		['by one page', (size: number) => size - 32 - pageSize],
		['inside the last page', (size: number) => size - 32 - 100],
		['to the meta pages', () => 2 * pageSize],
		['inside meta page 1', () => pageSize + 200],
	] as const) {
		it(`reports a file truncated ${name} as damaged`, async () => {
			const truncated = join(dir.path, `truncated-${name.replaceAll(' ', '-')}.db`);
			writeFileSync(truncated, snapshot.subarray(0, cut(snapshot.length)));
			const ours = await readSnapshotStatus(truncated);
			assert.equal(ours.isSound, false);
			assert.ok(ours.problemCount > 0);
			assert.ok(ours.problems.some(problem => /truncated|too small|out of bounds|beyond/.test(problem)), ours.problems.join('\n'));
		});
	}

	it('catches a damaged page header on every reachable page even when the trailer is recomputed', () => {
		const db = snapshot.subarray(0, snapshot.length - 32);
		const pages = reachablePages(db);
		assert.ok(pages.length > 10);
		for (const pgid of pages) {
			for (const [field, position] of [
				['id', pgid * pageSize],
				['flags', pgid * pageSize + 8],
			] as const) {
				const status = statusOf(withFreshTrailer(flipped(db, position)));
				assert.ok(status.problemCount > 0, `flipping the ${field} of page ${pgid} went unnoticed`);
			}
		}
	});

	it('without large values (a save reading back): the same structure, revision and keys from a fraction of the reads', () => {
		const db = snapshot.subarray(0, snapshot.length - 32);
		let bytesRead = 0;
		const inner = bufferSource(db);
		const counting = {
			size: inner.size,
			read: (position: number, length: number) => {
				const bytes = inner.read(position, length);
				bytesRead += bytes.length;
				return bytes;
			},
			readInto: (target: Buffer, position: number) => {
				const count = inner.readInto(target, position);
				bytesRead += count;
				return count;
			},
		};
		const whole = readDbStatus(bufferSource(db));
		const sparse = readDbStatus(counting, {isHashing: false});
		assert.deepEqual(
			{revision: sparse.revision, totalKey: sparse.totalKey, totalSize: sparse.totalSize, consistentIndex: sparse.consistentIndex, problemCount: sparse.problemCount},
			{revision: whole.revision, totalKey: whole.totalKey, totalSize: whole.totalSize, consistentIndex: whole.consistentIndex, problemCount: 0},
		);
		// The large values (overflow pages) are left on disk.
		const skipped = captured.largeValues * (captured.largeValueBytes - 500);
		assert.ok(bytesRead < db.length - skipped, `read ${bytesRead} of ${db.length} bytes`);
		for (const pgid of reachablePages(db)) {
			const status = readDbStatus(bufferSource(flipped(db, pgid * pageSize + 8)), {isHashing: false});
			assert.ok(status.problemCount > 0, `flipping the flags of page ${pgid} went unnoticed`);
		}
	});

	it('catches every flipped byte of both meta pages', () => {
		const db = snapshot.subarray(0, snapshot.length - 32);
		for (const meta of [0, pageSize]) {
			for (let offset = 0; offset < 16 + 64; offset++) {
				const status = statusOf(withFreshTrailer(flipped(db, meta + offset, 0x01)));
				assert.ok(status.problemCount > 0, `flipping byte ${offset} of the meta page at ${meta} went unnoticed`);
			}
		}
	});

	it('catches a branch element pointing at the wrong page', () => {
		const db = snapshot.subarray(0, snapshot.length - 32);
		const branch = reachablePages(db).find(pgid => db.readUInt16LE(pgid * pageSize + 8) === pageFlag.branch)!;
		const element = branch * pageSize + 16;
		const damaged = Buffer.from(db);
		damaged.writeBigUInt64LE(damaged.readBigUInt64LE(element + 8) + 1n, element + 8);
		assert.ok(statusOf(withFreshTrailer(damaged)).problemCount > 0);
	});

	it('catches two subtrees swapped under their branch page (keys out of order across siblings)', () => {
		const db = snapshot.subarray(0, snapshot.length - 32);
		const branch = reachablePages(db).find(pgid => db.readUInt16LE(pgid * pageSize + 8) === pageFlag.branch && db.readUInt16LE(pgid * pageSize + 10) >= 3)!;
		assert.ok(branch, 'no branch page with three children');
		const first = branch * pageSize + 16 + 8;
		const second = branch * pageSize + 16 + 16 + 8;
		const damaged = Buffer.from(db);
		damaged.writeBigUInt64LE(db.readBigUInt64LE(second), first);
		damaged.writeBigUInt64LE(db.readBigUInt64LE(first), second);
		const status = statusOf(withFreshTrailer(damaged));
		assert.ok(status.problems.some(problem => /below|not above/.test(problem)), status.problems.join('\n'));
	});

	it('never throws and never calls a damaged file sound, wherever a byte is flipped', () => {
		// Deterministic spread over the whole file (structure, keys, values, trailer).
		let seed = 12345;
		const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
		for (let round = 0; round < 150; round++) {
			const position = next() % snapshot.length;
			const damaged = flipped(snapshot, position, 1 << next() % 8);
			const db = statusOf(damaged);
			const isTrailerOk = sha256(damaged.subarray(0, damaged.length - 32)).equals(damaged.subarray(damaged.length - 32));
			assert.ok(db.problemCount > 0 || !isTrailerOk, `flip at ${position} went unnoticed`);
		}
	});

	it('checks the trailer of a file whose data byte was flipped', async () => {
		const damaged = join(dir.path, 'value-flip.db');
		// A byte in the middle of the last data page: inside values, not structure.
		writeFileSync(damaged, flipped(snapshot, snapshot.length - 32 - 10));
		const ours = await readSnapshotStatus(damaged);
		assert.equal(ours.sha256, 'mismatch');
		assert.equal(ours.isSound, false);
	});
});

function sha256(data: Buffer): Buffer {
	return createHash('sha256').update(data).digest();
}
