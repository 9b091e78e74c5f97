import {prefixRangeEnd, type RangeEntry, type RangePage, type RangePageRequest} from './maintenance.js';

export interface ScanOptions {
	/** Keys starting with this; empty: the whole keyspace. */
	readonly prefix: Buffer;
	readonly isKeysOnly: boolean;
	readonly timeoutMs: number;
	/** Roughly how many bytes one page may carry; pages shrink and grow to stay near it. */
	readonly targetPageBytes?: number;
	readonly signal?: AbortSignal;
}

export interface ScanPage {
	readonly entries: readonly RangeEntry[];
	/** The revision every page is read at (the first page's). */
	readonly revision: number;
	/** Keys in the whole range at that revision, as etcd counted them with the first page. */
	readonly total: number;
}

const firstLimit = 500;
const minLimit = 1;
const maxLimit = 10_000;
const defaultTargetBytes = 1024 * 1024;

/** grpc-js refuses an answer over its receive limit (4 MiB) with RESOURCE_EXHAUSTED: the page was too big. */
function isTooLarge(error: unknown): boolean {
	const text = error instanceof Error ? error.message : String(error);
	return (error as {code?: unknown})?.code === 8 && /larger than max|message length|Received message/i.test(text);
}

/**
 * A range read in bounded pages, serializable (from the member asked, never through the leader), all at
 * the revision of the first page so the pages see one keyspace. Each page is asked for with a key count
 * sized from the previous page's bytes; a page refused as too large is asked for again with half the
 * keys. Only one page is held at a time.
 */
export async function* scanRange(rangePage: (request: RangePageRequest, timeoutMs: number) => Promise<RangePage>, options: ScanOptions): AsyncGenerator<ScanPage> {
	const target = options.targetPageBytes ?? defaultTargetBytes;
	const rangeEnd = options.prefix.length === 0 ? Buffer.from([0]) : prefixRangeEnd(options.prefix);
	let key = options.prefix.length === 0 ? Buffer.from([0]) : options.prefix;
	let limit = firstLimit;
	let revision = 0;
	let total = 0;
	for (;;) {
		options.signal?.throwIfAborted();
		let page: RangePage;
		try {
			page = await rangePage({key, rangeEnd, limit, revision, isKeysOnly: options.isKeysOnly, isSerializable: true}, options.timeoutMs);
		} catch (error) {
			if (isTooLarge(error) && limit > minLimit) {
				limit = Math.max(minLimit, Math.floor(limit / 2));
				continue;
			}
			throw error;
		}
		if (revision === 0) {
			revision = page.revision;
			total = page.count;
		}
		yield {entries: page.entries, revision, total};
		const last = page.entries.at(-1);
		if (!page.isMore || !last) return;
		// The next page starts just after the last key: the key with a zero byte appended.
		key = Buffer.concat([last.key, Buffer.from([0])]);
		const bytes = page.entries.reduce((sum, entry) => sum + entry.key.length + entry.valueSize + 16, 0);
		const perKey = Math.max(1, bytes / page.entries.length);
		limit = Math.min(maxLimit, Math.max(minLimit, Math.floor(target / perKey)));
	}
}
