import {closeSync, constants as fsConstants, fstatSync, openSync, readSync} from 'node:fs';

// The on-disk layout of a bbolt (v1.3, as etcd 3.4 writes it) database, read without the Go library.
// Everything is little-endian, as written on amd64/arm64. A file is a run of fixed-size pages:
//   page header  id u64 | flags u16 | count u16 | overflow u32             (16 bytes)
//   meta body    magic u32 | version u32 | pageSize u32 | flags u32 | root pgid u64 | root sequence u64
//                | freelist pgid u64 | high-water pgid u64 | txid u64 | checksum u64 (FNV-1a 64 of the 56 bytes before)
//   branch elem  pos u32 | ksize u32 | child pgid u64                        (key at elem + pos)
//   leaf elem    flags u32 | pos u32 | ksize u32 | vsize u32                 (key at elem + pos, value after it)
// A leaf element flagged as a bucket holds a bucket header (root pgid u64, sequence u64); root 0 means the
// bucket's single leaf page follows the header inside the value ("inline bucket").

export const pageHeaderSize = 16;
const elementSize = 16;
const bucketHeaderSize = 16;
export const bboltMagic = 0xed0cdaed;
export const bboltVersion = 2;
/** etcd 3.4 opens bbolt with NoFreelistSync, so its files and snapshots carry no freelist page. */
export const noFreelist = 0xffff_ffff_ffff_ffffn;
export const pageFlag = {branch: 0x01, leaf: 0x02, meta: 0x04, freelist: 0x10} as const;
const bucketLeafFlag = 0x01;
/** bbolt reads the page size from meta 0 and falls back to the OS page size when meta 0 is damaged. */
const fallbackPageSize = 4096;
const maxProblems = 50;
/** B+tree depth grows with log(keys); anything this deep is a loop or garbage, not a database. */
const maxDepth = 64;

/** Positioned reads, so a 256 MB file is never held in memory: only the pages on the current path. */
export interface ByteSource {
	readonly size: number;
	/** Up to `length` bytes at `position`; fewer at the end of the source. */
	read(position: number, length: number): Buffer;
	/** Fills `target` from `position` as far as the source goes; returns the bytes read. */
	readInto(target: Buffer, position: number): number;
}

export interface FileSource extends ByteSource {
	close(): void;
}

export function bufferSource(buffer: Buffer): ByteSource {
	return {
		size: buffer.length,
		read: (position, length) => buffer.subarray(Math.min(position, buffer.length), Math.min(position + length, buffer.length)),
		readInto: (target, position) => (position >= buffer.length ? 0 : buffer.copy(target, 0, position, Math.min(position + target.length, buffer.length))),
	};
}

/** Reads `length` bytes at `position` into `target` from `offset`, fewer only at the end of the file. */
export function readFully(fd: number, target: Buffer, offset: number, length: number, position: number): number {
	let done = 0;
	while (done < length) {
		const got = readSync(fd, target, offset + done, length - done, position + done);
		if (got === 0) break;
		done += got;
	}
	return done;
}

/** A FileSource over an open descriptor, given how to fill a buffer from a position; closing closes the descriptor. */
export function fileSource(fd: number, size: number, readInto: (target: Buffer, position: number) => number): FileSource {
	return {
		size,
		read(position, length) {
			const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - position)));
			return buffer.subarray(0, readInto(buffer, position));
		},
		readInto,
		close: () => closeSync(fd),
	};
}

export class NotRegularFileError extends Error {
	override readonly name = 'NotRegularFileError';
}

/**
 * Opens a file for reading, refusing anything but a regular file: O_NONBLOCK so that a FIFO (or a device)
 * given as a snapshot answers at once instead of blocking until someone writes to it.
 */
export function openRegularFile(path: string): number {
	const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
	if (!fstatSync(fd).isFile()) {
		closeSync(fd);
		throw new NotRegularFileError(`${path} is not a regular file`);
	}
	return fd;
}

export function openFileSource(path: string): FileSource {
	const fd = openRegularFile(path);
	try {
		const {size} = fstatSync(fd);
		return fileSource(fd, size, (target, position) => readFully(fd, target, 0, Math.max(0, Math.min(target.length, size - position)), position));
	} catch (error) {
		closeSync(fd);
		throw error;
	}
}

export interface BboltMeta {
	readonly pageId: 0 | 1;
	readonly magic: number;
	readonly version: number;
	readonly pageSize: number;
	readonly root: bigint;
	readonly freelist: bigint;
	/** The high-water mark: pages [0, pgid) hold the database; Tx.Size() is pgid × pageSize. */
	readonly pgid: bigint;
	readonly txid: bigint;
	readonly checksum: bigint;
	/** Why bbolt would reject this meta page, or undefined when it is valid. */
	readonly problem: string | undefined;
}

export interface BboltVisitor {
	/** A key of the root bucket, in cursor order (etcd keeps only buckets there). */
	readonly onTopLevel?: (name: Buffer, isBucket: boolean) => void;
	/**
	 * Each key of a top-level bucket in cursor order, as Bucket.ForEach yields it: no value for a nested bucket,
	 * nor for a value larger than a page when the scan skips those (`isReadingLargeValues: false`).
	 * Keys and values point into reused page buffers: copy them to keep them past the call.
	 */
	readonly onEntry?: (key: Buffer, value: Buffer | undefined, skipped?: SkippedValue) => void;
}

/** A value the scan left on disk (`isReadingLargeValues: false`): its size, and its first `largeValuePrefix` bytes. */
export interface SkippedValue {
	readonly size: number;
	readonly prefix: Buffer;
}

export interface ScanOptions {
	/**
	 * false: a leaf page spilling over several pages is read only where its element table, keys, bucket
	 * headers and page-sized values lie; larger values are left on disk. The structure is checked all the
	 * same. A snapshot of 256 MB of 1 MB values is then a few MB of reads instead of 256. Default true.
	 */
	readonly isReadingLargeValues?: boolean;
	/** With `isReadingLargeValues: false`: read this many leading bytes of each skipped value (a record's header). Default 0. */
	readonly largeValuePrefix?: number;
}

export interface BboltScan {
	readonly pageSize: number;
	/** The meta page bbolt would use (highest valid txid), or undefined when neither is valid. */
	readonly meta: BboltMeta | undefined;
	/** Tx.Size(): high-water pgid × page size; 0 when there is no valid meta page. */
	readonly size: number;
	/** The first problems found, in bbolt's wording where it has one. Empty means the structure is sound. */
	readonly problems: readonly string[];
	readonly problemCount: number;
}

const fnvOffset = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = 0xffff_ffff_ffff_ffffn;

export function fnv1a64(data: Uint8Array): bigint {
	let hash = fnvOffset;
	for (const byte of data) hash = ((hash ^ BigInt(byte)) * fnvPrime) & mask64;
	return hash;
}

/** Reads the meta body of the page in `page` (which starts with the page header). */
export function parseMeta(page: Buffer, pageId: 0 | 1): BboltMeta | undefined {
	if (page.length < pageHeaderSize + 64) return undefined;
	const body = page.subarray(pageHeaderSize, pageHeaderSize + 64);
	const meta = {
		pageId,
		magic: body.readUInt32LE(0),
		version: body.readUInt32LE(4),
		pageSize: body.readUInt32LE(8),
		root: body.readBigUInt64LE(16),
		freelist: body.readBigUInt64LE(32),
		pgid: body.readBigUInt64LE(40),
		txid: body.readBigUInt64LE(48),
		checksum: body.readBigUInt64LE(56),
	};
	// Same order and leniency as bbolt's meta.validate(): a zero checksum is accepted.
	let problem: string | undefined;
	if (meta.magic !== bboltMagic) problem = 'invalid database (bad magic)';
	else if (meta.version !== bboltVersion) problem = `version mismatch (${meta.version}, want ${bboltVersion})`;
	else if (meta.checksum !== 0n && meta.checksum !== fnv1a64(body.subarray(0, 56))) problem = 'checksum error';
	return {...meta, problem};
}

type TreeRoot = {readonly pgid: number} | {readonly inline: Buffer};

/** A leaf element's value, or undefined where a sparse read left it on disk. */
type LeafVisitor = (key: Buffer, value: Buffer | undefined, flags: number, skipped?: SkippedValue) => void;

class Scanner {
	readonly problems: string[] = [];
	problemCount = 0;
	private readonly reachable: Uint8Array;
	private readonly freed: Uint8Array | undefined;
	/**
	 * One page buffer per tree level, reused: memory stays at (depth × largest page) whatever the file size.
	 * A level's buffer is only overwritten after every deeper level that borrowed keys from it has returned.
	 */
	private readonly scratch: Buffer[] = [];
	/** Level of the page whose elements are being visited; nested trees start below it. */
	private depth = 0;

	constructor(
		private readonly source: ByteSource,
		private readonly pageSize: number,
		private readonly highWater: number,
		hasFreelist: boolean,
		private readonly isReadingLargeValues: boolean,
		private readonly largeValuePrefix = 0,
	) {
		this.reachable = new Uint8Array(highWater);
		this.freed = hasFreelist ? new Uint8Array(highWater) : undefined;
	}

	problem(message: string): void {
		this.problemCount++;
		if (this.problems.length < maxProblems) this.problems.push(message);
	}

	private buffer(level: number | undefined, size: number): Buffer {
		if (level === undefined) return Buffer.allocUnsafe(size);
		let buffer = this.scratch[level];
		if (!buffer || buffer.length < size) {
			buffer = Buffer.allocUnsafe(Math.max(size, this.pageSize));
			this.scratch[level] = buffer;
		}
		return buffer.subarray(0, size);
	}

	/**
	 * One page with its overflow, marked reachable, in the scratch buffer of `level` (a fresh one when
	 * undefined); undefined (and a problem) when it cannot be trusted.
	 */
	readPage(pgid: number, owner: string, level?: number): Buffer | undefined {
		if (pgid >= this.highWater) {
			this.problem(`page ${pgid}: out of bounds: ${this.highWater} (${owner})`);
			return undefined;
		}
		const offset = pgid * this.pageSize;
		const first = this.buffer(level, this.pageSize);
		if (this.source.readInto(first, offset) < this.pageSize) {
			this.problem(`page ${pgid}: beyond the end of the file (${owner}); the file is truncated`);
			return undefined;
		}
		const id = first.readBigUInt64LE(0);
		if (id !== BigInt(pgid)) this.problem(`page ${pgid}: header says it is page ${id} (${owner})`);
		const overflow = first.readUInt32LE(12);
		if (pgid + overflow >= this.highWater) {
			this.problem(`page ${pgid}: overflow of ${overflow} pages runs past the high-water mark ${this.highWater} (${owner})`);
			return undefined;
		}
		for (let index = pgid; index <= pgid + overflow; index++) {
			if (this.reachable[index]) {
				this.problem(`page ${index}: multiple references (${owner})`);
				return undefined;
			}
			this.reachable[index] = 1;
		}
		if (this.freed?.[pgid]) this.problem(`page ${pgid}: reachable freed (${owner})`);
		if (overflow === 0) return first;
		const whole = this.buffer(level, (overflow + 1) * this.pageSize);
		if (!this.isReadingLargeValues && first.readUInt16LE(8) === pageFlag.leaf) {
			// scanBbolt checked that the high-water mark lies within the file, so these pages exist.
			first.copy(whole, 0, 0, this.pageSize);
			this.fillSparseLeaf(whole, offset);
			return whole;
		}
		if (this.source.readInto(whole, offset) < whole.length) {
			this.problem(`page ${pgid}: its overflow runs beyond the end of the file (${owner}); the file is truncated`);
			return undefined;
		}
		return whole;
	}

	/** Whether walkPage must leave this leaf value unread: the sparse read below did not fetch it. */
	isValueSkipped(pageLength: number, valueSize: number, elementFlags: number): boolean {
		return !this.isReadingLargeValues && pageLength > this.pageSize && valueSize > this.pageSize && (elementFlags & bucketLeafFlag) === 0;
	}

	/**
	 * Reads, beyond the first page already in `page`, the element table and each element's key and value,
	 * except values isValueSkipped leaves on disk. Ranges out of bounds are left for walkPage to report.
	 */
	private fillSparseLeaf(page: Buffer, offset: number): void {
		const fill = (start: number, end: number) => {
			const from = Math.max(start, this.pageSize);
			const to = Math.min(end, page.length);
			if (from < to) this.source.readInto(page.subarray(from, to), offset + from);
		};
		const count = page.readUInt16LE(10);
		fill(pageHeaderSize, pageHeaderSize + count * elementSize);
		for (let index = 0; index < count; index++) {
			const element = pageHeaderSize + index * elementSize;
			if (element + elementSize > page.length) return;
			const flags = page.readUInt32LE(element);
			const keyStart = element + page.readUInt32LE(element + 4);
			const keyEnd = keyStart + page.readUInt32LE(element + 8);
			const valueSize = page.readUInt32LE(element + 12);
			fill(keyStart, keyEnd);
			if (!this.isValueSkipped(page.length, valueSize, flags)) fill(keyEnd, keyEnd + valueSize);
			else if (this.largeValuePrefix > 0) fill(keyEnd, keyEnd + Math.min(valueSize, this.largeValuePrefix));
		}
	}

	markMetaPages(): void {
		this.reachable[0] = 1;
		if (this.highWater > 1) this.reachable[1] = 1;
	}

	readFreelist(pgid: bigint): void {
		if (pgid >= BigInt(this.highWater)) {
			this.problem(`freelist page ${pgid}: out of bounds: ${this.highWater}`);
			return;
		}
		const page = this.readPage(Number(pgid), 'freelist');
		if (!page) return;
		const flags = page.readUInt16LE(8);
		if ((flags & pageFlag.freelist) === 0) {
			this.problem(`page ${pgid}: invalid freelist page, page type is ${pageType(flags)}`);
			return;
		}
		let count = page.readUInt16LE(10);
		let start = pageHeaderSize;
		// A count of 0xFFFF means the real count is the first u64 of the body (bbolt's overflow convention).
		if (count === 0xffff) {
			const real = page.readBigUInt64LE(pageHeaderSize);
			count = real > BigInt(page.length) ? Number.MAX_SAFE_INTEGER : Number(real);
			start += 8;
		}
		if (start + count * 8 > page.length) {
			this.problem(`page ${pgid}: freelist of ${count} ids does not fit its page`);
			return;
		}
		for (let index = 0; index < count; index++) {
			const id = page.readBigUInt64LE(start + index * 8);
			if (id < 2n || id >= BigInt(this.highWater)) {
				this.problem(`freelist: page ${id} is out of bounds: ${this.highWater}`);
				continue;
			}
			const slot = Number(id);
			if (this.freed![slot]) this.problem(`page ${id}: already freed`);
			this.freed![slot] = 1;
		}
	}

	/**
	 * Walks one bucket's B+tree in cursor order. Keys must be strictly ascending, and a child's keys must lie
	 * in [its branch key, the next branch key) — the constraints newer bbolt's Tx.Check enforces.
	 */
	walkTree(root: TreeRoot, owner: string, onLeaf: LeafVisitor): void {
		const depth = this.depth + 1;
		try {
			if ('inline' in root) {
				this.walkPage(root.inline, `inline bucket ${owner}`, undefined, undefined, depth, onLeaf, true);
				return;
			}
			const page = this.readPage(root.pgid, owner, depth);
			if (page) this.walkPage(page, `page ${root.pgid} of ${owner}`, undefined, undefined, depth, onLeaf, false);
		} finally {
			this.depth = depth - 1;
		}
	}

	private walkPage(
		page: Buffer,
		where: string,
		minKey: Buffer | undefined,
		maxKey: Buffer | undefined,
		depth: number,
		onLeaf: LeafVisitor,
		isInline: boolean,
	): Buffer | undefined {
		if (depth > maxDepth) {
			this.problem(`${where}: tree deeper than ${maxDepth} levels`);
			return undefined;
		}
		if (page.length < pageHeaderSize) {
			this.problem(`${where}: shorter than a page header`);
			return undefined;
		}
		const flags = page.readUInt16LE(8);
		const count = page.readUInt16LE(10);
		if (pageHeaderSize + count * elementSize > page.length) {
			this.problem(`${where}: ${count} elements do not fit in ${page.length} bytes`);
			return undefined;
		}
		const isBranch = flags === pageFlag.branch;
		if (!isBranch && flags !== pageFlag.leaf) {
			this.problem(`${where}: invalid type: ${pageType(flags)}`);
			return undefined;
		}
		if (isInline && isBranch) {
			this.problem(`${where}: an inline bucket holds a branch page`);
			return undefined;
		}
		if (isBranch && count === 0) {
			this.problem(`${where}: branch page with no elements`);
			return undefined;
		}
		let previous = minKey;
		let maxInSubtree: Buffer | undefined;
		for (let index = 0; index < count; index++) {
			const element = pageHeaderSize + index * elementSize;
			const pos = page.readUInt32LE(element + (isBranch ? 0 : 4));
			const keySize = page.readUInt32LE(element + (isBranch ? 4 : 8));
			const valueSize = isBranch ? 0 : page.readUInt32LE(element + 12);
			const keyStart = element + pos;
			if (keyStart + keySize + valueSize > page.length) {
				this.problem(`${where}: element ${index} points past the end of its page`);
				return maxInSubtree && Buffer.from(maxInSubtree);
			}
			const key = page.subarray(keyStart, keyStart + keySize);
			this.checkOrder(where, index, key, previous, maxKey);
			if (isBranch) {
				const child = page.readBigUInt64LE(element + 8);
				const nextKey = index + 1 < count ? branchKey(page, index + 1) : maxKey;
				const childPage = child < 2n || child >= BigInt(Number.MAX_SAFE_INTEGER) ? undefined : this.readPage(Number(child), where, depth + 1);
				if (child < 2n) this.problem(`${where}: element ${index} points at page ${child}`);
				const subtreeMax = childPage ? this.walkPage(childPage, `page ${child}`, key, nextKey, depth + 1, onLeaf, false) : undefined;
				maxInSubtree = subtreeMax ?? key;
				previous = maxInSubtree;
			} else {
				this.depth = depth;
				const flags = page.readUInt32LE(element);
				const isSkipped = this.isValueSkipped(page.length, valueSize, flags);
				const value = isSkipped ? undefined : page.subarray(keyStart + keySize, keyStart + keySize + valueSize);
				onLeaf(key, value, flags, isSkipped ? {size: valueSize, prefix: page.subarray(keyStart + keySize, keyStart + keySize + Math.min(valueSize, this.largeValuePrefix))} : undefined);
				previous = key;
				maxInSubtree = key;
			}
		}
		// The parent compares it with its next child after this level's buffer has been reused: copy.
		return maxInSubtree && Buffer.from(maxInSubtree);
	}

	private checkOrder(where: string, index: number, key: Buffer, previous: Buffer | undefined, maxKey: Buffer | undefined): void {
		if (previous !== undefined) {
			const order = Buffer.compare(previous, key);
			if (index === 0 && order > 0) this.problem(`${where}: first key ${hex(key)} is below its ancestor's key ${hex(previous)}`);
			if (index > 0 && order >= 0) this.problem(`${where}: key ${index} ${hex(key)} is not above the previous key ${hex(previous)}`);
		}
		if (maxKey !== undefined && Buffer.compare(key, maxKey) >= 0) {
			this.problem(`${where}: key ${index} ${hex(key)} is not below the next key of its parent ${hex(maxKey)}`);
		}
	}

	/** Pages below the high-water mark must be reachable or free; only checkable when a freelist was written. */
	checkUnreachable(): void {
		if (!this.freed) return;
		for (let index = 0; index < this.highWater; index++) {
			if (!this.reachable[index] && !this.freed[index]) this.problem(`page ${index}: unreachable unfreed`);
		}
	}
}

function branchKey(page: Buffer, index: number): Buffer | undefined {
	const element = pageHeaderSize + index * elementSize;
	const start = element + page.readUInt32LE(element);
	const end = start + page.readUInt32LE(element + 4);
	return end <= page.length ? page.subarray(start, end) : undefined;
}

function hex(key: Buffer): string {
	return key.length > 24 ? `${key.subarray(0, 24).toString('hex')}…` : key.toString('hex');
}

function pageType(flags: number): string {
	if (flags & pageFlag.branch) return 'branch';
	if (flags & pageFlag.leaf) return 'leaf';
	if (flags & pageFlag.meta) return 'meta';
	if (flags & pageFlag.freelist) return 'freelist';
	return `unknown<${flags.toString(16).padStart(2, '0')}>`;
}

function parseBucketValue(value: Buffer, where: string, scanner: Scanner): TreeRoot | undefined {
	if (value.length < bucketHeaderSize) {
		scanner.problem(`${where}: bucket value of ${value.length} bytes is shorter than a bucket header`);
		return undefined;
	}
	const root = value.readBigUInt64LE(0);
	if (root === 0n) return {inline: value.subarray(bucketHeaderSize)};
	if (root < 2n || root >= BigInt(Number.MAX_SAFE_INTEGER)) {
		scanner.problem(`${where}: bucket root page ${root} is invalid`);
		return undefined;
	}
	return {pgid: Number(root)};
}

/**
 * Checks the page structure of a bbolt file and reports its keys in cursor order, in one pass over the
 * reachable pages: meta pages (magic, version, checksum), freelist, every branch and leaf page of every
 * bucket (type, element bounds, key order, page ids within the high-water mark and the file, no page used
 * twice). The visitor sees what `etcdctl snapshot status` hashes: root keys, then each top-level bucket's
 * keys and values.
 */
export function scanBbolt(source: ByteSource, visitor: BboltVisitor = {}, {isReadingLargeValues = true, largeValuePrefix = 0}: ScanOptions = {}): BboltScan {
	const head = source.read(0, fallbackPageSize);
	if (head.length < fallbackPageSize) {
		return {pageSize: 0, meta: undefined, size: 0, problems: [`file size too small (${source.size} bytes)`], problemCount: 1};
	}
	const meta0 = parseMeta(head, 0);
	const pageSize = meta0 && meta0.problem === undefined ? meta0.pageSize : fallbackPageSize;
	const problems: string[] = [];
	if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) {
		return {pageSize, meta: undefined, size: 0, problems: [`meta page 0: page size ${pageSize} is not a sane power of two`], problemCount: 1};
	}
	if (source.size < pageSize * 2) {
		return {pageSize, meta: undefined, size: 0, problems: [`file size too small (${source.size} bytes)`], problemCount: 1};
	}
	const meta1 = parseMeta(source.read(pageSize, pageSize), 1);
	for (const [meta, page] of [
		[meta0, head],
		[meta1, source.read(pageSize, pageHeaderSize)],
	] as const) {
		if (!meta) continue;
		// A damaged meta page is survivable for bbolt (it falls back to the other), but it means the file was
		// damaged after it was written: a snapshot's two meta pages are written fresh and both are valid.
		if (meta.problem) problems.push(`meta page ${meta.pageId}: ${meta.problem}`);
		else if (page.readUInt16LE(8) !== pageFlag.meta) problems.push(`meta page ${meta.pageId}: page type is ${pageType(page.readUInt16LE(8))}`);
		else if (page.readBigUInt64LE(0) !== BigInt(meta.pageId)) problems.push(`meta page ${meta.pageId}: header says it is page ${page.readBigUInt64LE(0)}`);
		// bbolt writes meta pages from a zeroed buffer: a count or overflow there is damage.
		else if (page.readUInt16LE(10) !== 0 || page.readUInt32LE(12) !== 0) problems.push(`meta page ${meta.pageId}: header has a count or overflow`);
		else if (meta.pageSize !== pageSize) problems.push(`meta page ${meta.pageId}: page size ${meta.pageSize} differs from meta page 0's ${pageSize}`);
	}
	const candidates = [meta0, meta1]
		.filter((meta): meta is BboltMeta => meta !== undefined && meta.problem === undefined)
		.sort((a, b) => (a.txid === b.txid ? 0 : a.txid > b.txid ? -1 : 1));
	const meta = candidates[0];
	if (!meta) return {pageSize, meta: undefined, size: 0, problems: problems.length > 0 ? problems : ['no valid meta page'], problemCount: Math.max(1, problems.length)};

	const maxPages = Math.floor(Number.MAX_SAFE_INTEGER / pageSize);
	if (meta.pgid < 2n || meta.pgid > BigInt(maxPages)) {
		return {pageSize, meta, size: 0, problems: [...problems, `meta page ${meta.pageId}: high-water mark ${meta.pgid} is out of range`], problemCount: problems.length + 1};
	}
	const highWater = Number(meta.pgid);
	const size = highWater * pageSize;
	// A live bbolt file is never shorter than its high-water mark. Stopping here also keeps a forged mark
	// from sizing the page maps below far beyond the file.
	if (size > source.size) {
		const truncated = `the database spans ${size} bytes (${highWater} pages) but the file holds ${source.size}; the file is truncated`;
		return {pageSize, meta, size, problems: [...problems, truncated], problemCount: problems.length + 1};
	}
	const scanner = new Scanner(source, pageSize, highWater, meta.freelist !== noFreelist, isReadingLargeValues, largeValuePrefix);
	for (const problem of problems) scanner.problem(problem);
	scanner.markMetaPages();
	if (meta.freelist !== noFreelist) scanner.readFreelist(meta.freelist);

	if (meta.root < 2n || meta.root >= meta.pgid) {
		scanner.problem(`meta page ${meta.pageId}: root page ${meta.root} is out of bounds: ${highWater}`);
	} else {
		scanner.walkTree({pgid: Number(meta.root)}, 'the root bucket', (name, value, flags) => {
			const isBucket = (flags & bucketLeafFlag) !== 0;
			visitor.onTopLevel?.(name, isBucket);
			// A bucket's value is never skipped (isValueSkipped), so `value` is there for every bucket.
			if (!isBucket || !value) return;
			const label = `bucket ${JSON.stringify(name.toString('latin1'))}`;
			const root = parseBucketValue(value, label, scanner);
			if (!root) return;
			scanner.walkTree(root, label, (key, entry, entryFlags, skipped) => {
				const isNested = (entryFlags & bucketLeafFlag) !== 0;
				visitor.onEntry?.(key, isNested ? undefined : entry, skipped);
				if (isNested && entry) checkNested(scanner, entry, `${label}/${key.toString('hex')}`);
			});
		});
	}
	scanner.checkUnreachable();
	return {pageSize, meta, size, problems: scanner.problems, problemCount: scanner.problemCount};
}

/** Buckets inside buckets (etcd makes none) are checked but not reported, as Bucket.ForEach does not descend. */
function checkNested(scanner: Scanner, value: Buffer, label: string): void {
	const root = parseBucketValue(value, label, scanner);
	if (!root) return;
	scanner.walkTree(root, label, (key, entry, flags) => {
		if (flags & bucketLeafFlag && entry) checkNested(scanner, entry, `${label}/${key.toString('hex')}`);
	});
}
