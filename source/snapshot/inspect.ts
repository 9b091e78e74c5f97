import {scanBbolt, openFileSource, type ByteSource} from './file/bbolt.js';
import {hasSha256Trailer} from './file/snapshot-status.js';
import {UsageTally, totalsOf, type PrefixUsage, type UsageTotals} from '../model/usage.js';

export interface SnapshotUsage {
	readonly depth: number;
	/** Main revision of the newest record in the key bucket. */
	readonly revision: number;
	/** The last compaction the backend finished ("meta" bucket, finishedCompactRev); 0 when never compacted. */
	readonly compactRevision: number;
	/** Tx.Size(): what the file's database spans. */
	readonly dbSize: number;
	readonly rows: readonly PrefixUsage[];
	readonly totals: UsageTotals;
	readonly isTruncated: boolean;
	readonly problems: readonly string[];
}

const keyBucket = Buffer.from('key');
const metaBucket = Buffer.from('meta');
const finishedCompactKey = Buffer.from('finishedCompactRev');
/** mvcc's revision key: 8-byte main, '_', 8-byte sub; a deletion appends 't'. */
const revisionKeySize = 17;
const tombstoneMark = 0x74;
/** Enough of a stored record for its key and the value's length prefix (a key this long is rare; such a record counts as undecodable). */
const recordHeaderBytes = 64 * 1024;

/**
 * The key and the value's size from a stored mvccpb.KeyValue, read off the protobuf wire format by hand.
 * `record` may be only the first bytes of a larger record (`totalSize`): the value field may run past it.
 */
export function keyValueSizes(record: Buffer, totalSize = record.length): {readonly key: Buffer; readonly valueSize: number} | undefined {
	let key: Buffer | undefined;
	let valueSize = 0;
	let at = 0;
	const varint = (): number | undefined => {
		let result = 0;
		let factor = 1;
		for (let shift = 0; shift < 64 && at < record.length; shift += 7) {
			const byte = record[at++]!;
			result += (byte & 0x7f) * factor;
			factor *= 128;
			if ((byte & 0x80) === 0) return result;
		}
		return undefined;
	};
	while (at < record.length) {
		const tag = varint();
		if (tag === undefined) return undefined;
		const field = Math.floor(tag / 8);
		const wire = tag & 7;
		if (wire === 0) {
			if (varint() === undefined) return undefined;
		} else if (wire === 2) {
			const length = varint();
			if (length === undefined || at + length > totalSize) return undefined;
			if (field === 5 && at + length > record.length) {
				// The value runs past the bytes read: its size is all that is needed.
				valueSize = length;
				break;
			}
			if (at + length > record.length) return undefined;
			if (field === 1) key = record.subarray(at, at + length);
			else if (field === 5) valueSize = length;
			at += length;
		} else if (wire === 1) {
			at += 8;
		} else if (wire === 5) {
			at += 4;
		} else {
			return undefined;
		}
	}
	return key ? {key, valueSize} : undefined;
}

/** Per key seen: its latest record's size and value size; a deletion is marked by a negative value size. */
interface Latest {
	recordBytes: number;
	valueSize: number;
}

/**
 * What fills a snapshot, by prefix: each key's latest value, and the revisions kept for history until a
 * compaction (older values and deletions). One pass over the key bucket in revision order; memory holds one
 * small entry per distinct key (never a value), and the pages on the current path.
 */
export function inspectSnapshotSource(source: ByteSource, depth: number): SnapshotUsage {
	const tally = new UsageTally(depth);
	const latest = new Map<string, Latest>();
	const problems: string[] = [];
	let bucket: 'key' | 'meta' | 'other' = 'other';
	let revision = 0;
	let compactRevision = 0;
	let undecodable = 0;
	const scan = scanBbolt(source, {
		onTopLevel(name) {
			bucket = name.equals(keyBucket) ? 'key' : name.equals(metaBucket) ? 'meta' : 'other';
		},
		onEntry(revisionKey, whole, skipped) {
			if (bucket === 'meta') {
				if (whole && revisionKey.equals(finishedCompactKey) && whole.length >= 8) compactRevision = Number(whole.readBigInt64BE(0));
				return;
			}
			const value = whole ?? skipped?.prefix;
			if (bucket !== 'key' || !value) return;
			const valueBytes = whole ? whole.length : skipped!.size;
			if (revisionKey.length >= 8) revision = Number(revisionKey.readBigInt64BE(0));
			const decoded = keyValueSizes(value, valueBytes);
			if (!decoded) {
				undecodable++;
				return;
			}
			const key = decoded.key.toString('latin1');
			const recordBytes = revisionKey.length + valueBytes;
			const isTombstone = revisionKey.length > revisionKeySize && revisionKey[revisionKeySize] === tombstoneMark;
			tally.addOld(key, recordBytes);
			const entry = latest.get(key);
			if (entry) {
				entry.recordBytes = recordBytes;
				entry.valueSize = isTombstone ? -1 : decoded.valueSize;
			} else {
				latest.set(key, {recordBytes, valueSize: isTombstone ? -1 : decoded.valueSize});
			}
		},
		// Values larger than a page stay on disk: only their record header (key, value size) is read.
	}, {isReadingLargeValues: false, largeValuePrefix: recordHeaderBytes});
	for (const [key, entry] of latest) {
		if (entry.valueSize >= 0) tally.promoteLatest(key, key.length, entry.valueSize, entry.recordBytes);
	}
	if (undecodable > 0) problems.push(`${undecodable} record${undecodable === 1 ? '' : 's'} of the key bucket could not be decoded`);
	const rows = tally.rows(true);
	return {
		depth,
		revision,
		compactRevision,
		dbSize: scan.size,
		rows,
		totals: totalsOf(rows, true),
		isTruncated: tally.isTruncated,
		problems: [...scan.problems, ...problems],
	};
}

/** `etcdtop snapshot inspect FILE`: the file read with positioned reads, never whole. */
export function inspectSnapshotFile(path: string, depth: number): SnapshotUsage & {readonly fileSize: number; readonly hasTrailer: boolean} {
	const source = openFileSource(path);
	try {
		return {...inspectSnapshotSource(source, depth), fileSize: source.size, hasTrailer: hasSha256Trailer(source.size)};
	} finally {
		source.close();
	}
}
