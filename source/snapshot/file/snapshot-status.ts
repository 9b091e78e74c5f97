import {createHash} from 'node:crypto';
import {open} from 'node:fs/promises';
import {Worker} from 'node:worker_threads';
import {scanBbolt, openFileSource, type ByteSource} from './bbolt.js';
import {Crc32c} from './crc32c.js';

/** etcd appends the sha256 of the database bytes to a snapshot; etcdctl recognises it by the size alone. */
export const sha256Size = 32;

/** etcd's own test (`hasChecksum`): 512 divides every page size, so a bare database is a multiple of 512. */
export function hasSha256Trailer(fileSize: number): boolean {
	return fileSize % 512 === sha256Size;
}

/**
 * What a file's size says about its end. A bbolt file is a whole number of pages, and etcd's snapshot
 * appends exactly 32 bytes; any other size is a file cut short or with bytes appended, which etcdctl's
 * restore refuses. `pageSize` 0 (no valid meta page) leaves only etcd's own 512-byte test.
 */
export function sizeProblem(fileSize: number, pageSize: number): string | undefined {
	const unit = pageSize > 0 ? pageSize : 512;
	const rest = fileSize % unit;
	if (rest === 0 || rest === sha256Size) return undefined;
	return `the file is ${fileSize} bytes: neither whole ${unit}-byte pages nor pages + a ${sha256Size}-byte sha256 (${rest < sha256Size ? 'cut short or ' : ''}bytes appended or missing at its end)`;
}

/** The numbers `etcdctl snapshot status` (v3.4) prints, computed the same way. */
export interface DbStatus {
	/** CRC-32C over each bucket name, then its keys and values, in cursor order. */
	readonly hash: number;
	/** Main revision of the last key in the "key" bucket. */
	readonly revision: number;
	/** Keys in all top-level buckets. */
	readonly totalKey: number;
	/** Tx.Size(): high-water page id × page size. */
	readonly totalSize: number;
	/** The raft index the backend has applied up to ("meta" bucket, "consistent_index"); undefined if absent. */
	readonly consistentIndex: number | undefined;
	/** bbolt's page size, from the meta page (0 when no meta page is valid). */
	readonly pageSize: number;
	readonly problems: readonly string[];
	readonly problemCount: number;
}

export type TrailerState = 'ok' | 'mismatch' | 'missing';

export interface SnapshotStatus extends DbStatus {
	readonly sha256: TrailerState;
	readonly fileSize: number;
	/** Sound structure and, when there is a trailer, a matching one. */
	readonly isSound: boolean;
}

const keyBucket = Buffer.from('key');
const metaBucket = Buffer.from('meta');
const consistentIndexKey = Buffer.from('consistent_index');

/**
 * One pass over the file: structure checks and etcdctl's numbers. Without `isHashing` the CRC is skipped,
 * `hash` is 0, and values larger than a page are not read at all, for callers that only need the structure
 * and the revision (a save reading back what it just wrote, whose sha256 already vouches for the bytes).
 */
export function readDbStatus(source: ByteSource, {isHashing = true}: {isHashing?: boolean} = {}): DbStatus {
	const crc = isHashing ? new Crc32c() : undefined;
	let totalKey = 0;
	let revision = 0;
	let consistentIndex: number | undefined;
	let current: 'key' | 'meta' | 'other' = 'other';
	const extraProblems: string[] = [];
	const scan = scanBbolt(source, {
		onTopLevel(name, isBucket) {
			// etcdctl aborts with "cannot get hash of bucket" on a root key that is not a bucket.
			if (!isBucket) extraProblems.push(`cannot get hash of bucket ${JSON.stringify(name.toString('latin1'))}`);
			crc?.update(name);
			current = name.equals(keyBucket) ? 'key' : name.equals(metaBucket) ? 'meta' : 'other';
		},
		onEntry(key, value) {
			crc?.update(key);
			if (value) crc?.update(value);
			totalKey++;
			if (current === 'key') {
				// mvcc's bytesToRev: an 8-byte big-endian main revision, '_', an 8-byte sub revision.
				if (key.length >= 8) revision = Number(key.readBigInt64BE(0));
				else extraProblems.push(`bucket "key": key ${key.toString('hex')} is too short to be a revision`);
			} else if (current === 'meta' && value && key.equals(consistentIndexKey) && value.length === 8) {
				consistentIndex = Number(value.readBigUInt64BE(0));
			}
		},
	}, {isReadingLargeValues: isHashing});
	return {
		hash: crc?.value ?? 0,
		revision,
		totalKey,
		totalSize: scan.size,
		consistentIndex,
		pageSize: scan.meta ? scan.pageSize : 0,
		problems: [...scan.problems, ...extraProblems],
		problemCount: scan.problemCount + extraProblems.length,
	};
}

/** Streams the file's database bytes through sha256 and compares with its trailer; one reused 128 KiB buffer (see sha256-worker.ts). */
export async function checkSha256Trailer(path: string, fileSize: number, signal?: AbortSignal): Promise<TrailerState> {
	if (!hasSha256Trailer(fileSize)) return 'missing';
	const hash = createHash('sha256');
	const dataEnd = fileSize - sha256Size;
	const buffer = Buffer.allocUnsafe(128 << 10);
	const handle = await open(path, 'r');
	try {
		for (let position = 0; position < dataEnd; ) {
			signal?.throwIfAborted();
			const {bytesRead} = await handle.read(buffer, 0, Math.min(buffer.length, dataEnd - position), position);
			if (bytesRead === 0) return 'mismatch';
			hash.update(buffer.subarray(0, bytesRead));
			position += bytesRead;
		}
		const trailer = Buffer.alloc(sha256Size);
		const {bytesRead} = await handle.read(trailer, 0, sha256Size, dataEnd);
		return bytesRead === sha256Size && hash.digest().equals(trailer) ? 'ok' : 'mismatch';
	} finally {
		await handle.close();
	}
}

function trailerInWorker(path: string, fileSize: number): Promise<TrailerState> {
	return new Promise((resolve, reject) => {
		const worker = new Worker(new URL('./sha256-worker.js', import.meta.url), {workerData: {path, fileSize}});
		worker.once('message', (message: {state?: TrailerState; error?: string}) => (message.state ? resolve(message.state) : reject(new Error(message.error))));
		worker.once('error', reject);
		worker.once('exit', code => reject(new Error(`the sha256 worker exited (${code})`)));
	});
}

/** `etcdtop snapshot status FILE`: structure, etcdctl's numbers and the trailer, without the etcd binary. */
export async function readSnapshotStatus(path: string, signal?: AbortSignal): Promise<SnapshotStatus> {
	const source = openFileSource(path);
	// Started first so the hashing runs beside the synchronous tree walk below.
	const trailer = hasSha256Trailer(source.size) && source.size > 16 * 1024 * 1024 && !signal ? trailerInWorker(path, source.size) : undefined;
	trailer?.catch(() => undefined);
	let status: DbStatus;
	try {
		status = readDbStatus(source);
	} finally {
		source.close();
	}
	const sha256 = trailer ? await trailer.catch(() => checkSha256Trailer(path, source.size, signal)) : await checkSha256Trailer(path, source.size, signal);
	return withTrailer(status, sha256, source.size);
}

/** The structure's verdict joined with the trailer's and the size's: a size that fits no layout is damage. */
function withTrailer(status: DbStatus, sha256: TrailerState, fileSize: number): SnapshotStatus {
	const problem = sizeProblem(fileSize, status.pageSize);
	const problems = problem ? [problem, ...status.problems] : status.problems;
	const problemCount = status.problemCount + (problem ? 1 : 0);
	return {...status, problems, problemCount, sha256, fileSize, isSound: problemCount === 0 && sha256 !== 'mismatch'};
}

/** The sha256 trailer check over any ByteSource (a decrypting one for FILE.age), synchronously. */
export function checkSourceSha256Trailer(source: ByteSource): TrailerState {
	if (!hasSha256Trailer(source.size)) return 'missing';
	const hash = createHash('sha256');
	const dataEnd = source.size - sha256Size;
	const buffer = Buffer.allocUnsafe(1 << 20);
	for (let position = 0; position < dataEnd; ) {
		const bytesRead = source.readInto(buffer.subarray(0, Math.min(buffer.length, dataEnd - position)), position);
		if (bytesRead === 0) return 'mismatch';
		hash.update(buffer.subarray(0, bytesRead));
		position += bytesRead;
	}
	return hash.digest().equals(source.read(dataEnd, sha256Size)) ? 'ok' : 'mismatch';
}

/** readSnapshotStatus for a snapshot behind any ByteSource (an encrypted file, through its decryptor). */
export function readSourceSnapshotStatus(source: ByteSource): SnapshotStatus {
	const status = readDbStatus(source);
	return withTrailer(status, checkSourceSha256Trailer(source), source.size);
}
