/**
 * What fills the database, by key prefix: the tally behind `etcdtop usage` (live) and `etcdtop snapshot
 * inspect` (a file). A key's group is its first `depth` path segments, never the whole key: with the
 * default depth 3, `/registry/pods/default/web-1` counts under `/registry/pods/default/` (Kubernetes'
 * resource and namespace) and the cluster-scoped `/registry/nodes/node-1` under `/registry/nodes/`.
 * A group is written as the exact prefix `etcdctl get --prefix` takes, with its trailing slash.
 */

import {compareText} from './order.js';

export const defaultDepth = 3;
/** Past this many groups the rest are summed into one row: a tally never grows with the keyspace. */
export const maxGroups = 10_000;
/** The group of keys with no "/" at all. */
export const noPrefixGroup = '';
export const otherGroup = '(other prefixes)';

/** `key` as latin1 (one char per byte, so binary keys survive) -> its group, in the same encoding. */
export function groupOf(key: string, depth: number): string {
	const isRooted = key.startsWith('/');
	const segments = (isRooted ? key.slice(1) : key).split('/');
	const taken = Math.min(depth, segments.length - 1);
	if (taken <= 0) return isRooted ? '/' : noPrefixGroup;
	return `${isRooted ? '/' : ''}${segments.slice(0, taken).join('/')}/`;
}

export interface PrefixUsage {
	/** The prefix as etcdctl takes it (UTF-8 text of the key bytes); '' for keys without "/". */
	readonly prefix: string;
	readonly keys: number;
	readonly keyBytes: number;
	/** Bytes of the latest value of each key. */
	readonly valueBytes: number;
	/** Snapshot only: revisions kept for history (older values and deletions) until a compaction. */
	readonly oldRevisions?: number;
	/** Snapshot only: bytes those revisions take in the key bucket (revision key + stored record). */
	readonly oldBytes?: number;
}

interface Counts {
	keys: number;
	keyBytes: number;
	valueBytes: number;
	oldRevisions: number;
	oldBytes: number;
}

/** Sums by group; bounded to maxGroups rows, the rest land in `(other prefixes)`. */
export class UsageTally {
	private readonly groups = new Map<string, Counts>();
	private isTruncatedFlag = false;

	constructor(
		readonly depth: number,
		private readonly limit = maxGroups,
	) {}

	get isTruncated(): boolean {
		return this.isTruncatedFlag;
	}

	private counts(key: string): Counts {
		let group = groupOf(key, this.depth);
		let counts = this.groups.get(group);
		if (!counts && this.groups.size >= this.limit) {
			this.isTruncatedFlag = true;
			group = otherGroup;
			counts = this.groups.get(group);
		}
		if (!counts) {
			counts = {keys: 0, keyBytes: 0, valueBytes: 0, oldRevisions: 0, oldBytes: 0};
			this.groups.set(group, counts);
		}
		return counts;
	}

	/** A live key: its latest value's size. `key` is latin1. */
	addKey(key: string, keyBytes: number, valueBytes: number): void {
		const counts = this.counts(key);
		counts.keys++;
		counts.keyBytes += keyBytes;
		counts.valueBytes += valueBytes;
	}

	/** A revision kept for history only. */
	addOld(key: string, bytes: number): void {
		const counts = this.counts(key);
		counts.oldRevisions++;
		counts.oldBytes += bytes;
	}

	/**
	 * A snapshot's key whose latest revision turned out to be a live value: that revision, counted as old
	 * while the scan could not know it was the last, becomes the key's live entry.
	 */
	promoteLatest(key: string, keyBytes: number, valueBytes: number, recordBytes: number): void {
		const counts = this.counts(key);
		counts.keys++;
		counts.keyBytes += keyBytes;
		counts.valueBytes += valueBytes;
		counts.oldRevisions--;
		counts.oldBytes -= recordBytes;
	}

	/** Rows by bytes held (latest values + old revisions), largest first; ties by prefix. */
	rows(isSnapshot: boolean): PrefixUsage[] {
		return [...this.groups]
			.map(([group, counts]) => ({
				prefix: group === otherGroup ? otherGroup : Buffer.from(group, 'latin1').toString('utf8'),
				keys: counts.keys,
				keyBytes: counts.keyBytes,
				valueBytes: counts.valueBytes,
				...(isSnapshot ? {oldRevisions: counts.oldRevisions, oldBytes: counts.oldBytes} : {}),
			}))
			.sort((a, b) => b.valueBytes + b.keyBytes + (b.oldBytes ?? 0) - (a.valueBytes + a.keyBytes + (a.oldBytes ?? 0)) || compareText(a.prefix, b.prefix));
	}
}

export interface UsageTotals {
	readonly keys: number;
	readonly keyBytes: number;
	readonly valueBytes: number;
	readonly oldRevisions?: number;
	readonly oldBytes?: number;
}

export function totalsOf(rows: readonly PrefixUsage[], isSnapshot: boolean): UsageTotals {
	const sum = (pick: (row: PrefixUsage) => number | undefined) => rows.reduce((total, row) => total + (pick(row) ?? 0), 0);
	return {
		keys: sum(row => row.keys),
		keyBytes: sum(row => row.keyBytes),
		valueBytes: sum(row => row.valueBytes),
		...(isSnapshot ? {oldRevisions: sum(row => row.oldRevisions), oldBytes: sum(row => row.oldBytes)} : {}),
	};
}
