import {pageFlag, pageHeaderSize, parseMeta, type BboltMeta} from './file/bbolt.js';
import type {DbStatus} from './file/snapshot-status.js';

// The numbers a manifest records (revision, keys, consistent index, size), read from a bbolt database as
// its bytes stream past, without a copy on disk or in memory: an upload to S3 has no file to read back.
// Each page is looked at once, as it arrives, and only what the final walk needs is kept: a branch page's
// children, a leaf page's key count, last key and bucket headers. At the end the tree is walked from the
// meta page bbolt would use, so freed pages (still in the file, unreachable) count for nothing.

const elementSize = 16;
const bucketHeaderSize = 16;
const bucketLeafFlag = 0x01;
const maxDepth = 64;
/** A page spanning more than this (a leaf holding one huge value, or garbage in a freed page) is not gathered. */
const maxGatheredBytes = 64 << 20;
const keyBucket = Buffer.from('key');
const metaBucket = Buffer.from('meta');
const consistentIndexKey = Buffer.from('consistent_index');

interface LeafSummary {
	readonly kind: 'leaf';
	readonly count: number;
	readonly lastKey: Buffer | undefined;
	readonly consistentIndex: number | undefined;
	/** Bucket elements (only the root tree's matter): name, and their root page or inline leaf. */
	readonly buckets: ReadonlyArray<{readonly name: Buffer; readonly root: number | LeafSummary}>;
}

interface BranchSummary {
	readonly kind: 'branch';
	readonly children: readonly number[];
}

type PageSummary = LeafSummary | BranchSummary;

/** What `snapshot status` reports, read from the stream as it passes (no hash: etcd's trailer checks it). */
export type StreamDbSummary = Omit<DbStatus, 'hash' | 'problemCount'>;

function summarizeLeaf(page: Buffer, count: number): LeafSummary {
	const buckets: Array<{name: Buffer; root: number | LeafSummary}> = [];
	let lastKey: Buffer | undefined;
	let consistentIndex: number | undefined;
	const elementsEnd = pageHeaderSize + count * elementSize;
	if (elementsEnd > page.length) return {kind: 'leaf', count, lastKey: undefined, consistentIndex: undefined, buckets};
	for (let index = 0; index < count; index++) {
		const at = pageHeaderSize + index * elementSize;
		const flags = page.readUInt32LE(at);
		const keyAt = at + page.readUInt32LE(at + 4);
		const keySize = page.readUInt32LE(at + 8);
		const valueSize = page.readUInt32LE(at + 12);
		if (keyAt + keySize + valueSize > page.length) continue;
		if (index === count - 1) lastKey = Buffer.from(page.subarray(keyAt, keyAt + keySize));
		if (flags & bucketLeafFlag) {
			const value = page.subarray(keyAt + keySize, keyAt + keySize + valueSize);
			if (value.length < bucketHeaderSize) continue;
			const root = Number(value.readBigUInt64LE(0));
			const name = Buffer.from(page.subarray(keyAt, keyAt + keySize));
			if (root !== 0) {
				buckets.push({name, root});
			} else {
				const inline = value.subarray(bucketHeaderSize);
				if (inline.length >= pageHeaderSize) buckets.push({name, root: summarizeLeaf(inline, inline.readUInt16LE(10))});
			}
		} else if (keySize === consistentIndexKey.length && valueSize === 8 && page.subarray(keyAt, keyAt + keySize).equals(consistentIndexKey)) {
			consistentIndex = Number(page.readBigUInt64BE(keyAt + keySize));
		}
	}
	return {kind: 'leaf', count, lastKey, consistentIndex, buckets};
}

function summarizeBranch(page: Buffer, count: number): BranchSummary {
	const children: number[] = [];
	for (let index = 0; index < count; index++) {
		const at = pageHeaderSize + index * elementSize;
		if (at + elementSize > page.length) break;
		children.push(Number(page.readBigUInt64LE(at + 8)));
	}
	return {kind: 'branch', children};
}

/** Feed it the database bytes in order (not etcd's sha256 trailer); `finish()` walks what it kept. */
export class StreamingDbSummarizer {
	private pageSize: number | undefined;
	private readonly metas: BboltMeta[] = [];
	private readonly pages = new Map<number, PageSummary>();
	private readonly problems: string[] = [];
	/** Bytes not yet a whole page. */
	private carry: Buffer[] = [];
	private carryBytes = 0;
	private nextPageId = 0;
	/** Multi-page (overflow) branch or leaf pages being collected. */
	private gathers: Array<{id: number; flags: number; count: number; chunks: Buffer[]; missing: number}> = [];
	private gatheredBytes = 0;

	push(data: Buffer): void {
		let rest = data;
		if (this.pageSize === undefined) {
			this.carry.push(rest);
			this.carryBytes += rest.length;
			if (this.carryBytes < pageHeaderSize + 64) return;
			const head = Buffer.concat(this.carry);
			this.carry = [];
			this.carryBytes = 0;
			const meta = parseMeta(head, 0);
			if (!meta || meta.problem || meta.pageSize < 512 || meta.pageSize > 1 << 20 || (meta.pageSize & (meta.pageSize - 1)) !== 0) {
				this.problems.push(`meta page 0: ${meta?.problem ?? 'unreadable'}`);
				this.pageSize = 4096;
			} else {
				this.pageSize = meta.pageSize;
			}
			rest = head;
		}
		const pageSize = this.pageSize;
		if (this.carryBytes > 0) {
			const need = pageSize - this.carryBytes;
			this.carry.push(rest.subarray(0, need));
			this.carryBytes += Math.min(need, rest.length);
			rest = rest.subarray(need);
			if (this.carryBytes < pageSize) return;
			this.page(Buffer.concat(this.carry));
			this.carry = [];
			this.carryBytes = 0;
		}
		let at = 0;
		for (; at + pageSize <= rest.length; at += pageSize) this.page(rest.subarray(at, at + pageSize));
		if (at < rest.length) {
			this.carry.push(rest.subarray(at));
			this.carryBytes = rest.length - at;
		}
	}

	private page(slot: Buffer): void {
		const id = this.nextPageId++;
		// A slot inside a multi-page element belongs to it; it may also be a page of its own (a freed large
		// page whose tail was reused), so it is looked at both ways.
		if (this.gathers.length > 0) {
			for (const gather of this.gathers) {
				gather.chunks.push(Buffer.from(slot));
				gather.missing--;
			}
			this.gatheredBytes += slot.length * this.gathers.length;
			const done = this.gathers.filter(gather => gather.missing === 0);
			this.gathers = this.gathers.filter(gather => gather.missing > 0);
			for (const gather of done) {
				const whole = Buffer.concat(gather.chunks);
				this.gatheredBytes -= whole.length;
				this.pages.set(gather.id, gather.flags & pageFlag.leaf ? summarizeLeaf(whole, gather.count) : summarizeBranch(whole, gather.count));
			}
		}
		// Only a slot whose header names it is a page start: bbolt writes every page's own id into it.
		if (Number(slot.readBigUInt64LE(0)) !== id) return;
		const flags = slot.readUInt16LE(8);
		const count = slot.readUInt16LE(10);
		const overflow = slot.readUInt32LE(12);
		if (flags & pageFlag.meta) {
			if (id <= 1) {
				const meta = parseMeta(slot, id as 0 | 1);
				if (meta) this.metas.push(meta);
			}
			return;
		}
		if (!(flags & (pageFlag.branch | pageFlag.leaf))) return;
		if (overflow === 0) {
			this.pages.set(id, flags & pageFlag.leaf ? summarizeLeaf(slot, count) : summarizeBranch(slot, count));
			return;
		}
		const bytes = (overflow + 1) * slot.length;
		if (this.gatheredBytes + bytes > maxGatheredBytes) {
			this.problems.push(`page ${id} spans ${overflow + 1} pages, more than this check holds in memory`);
			return;
		}
		this.gatheredBytes += slot.length;
		this.gathers.push({id, flags, count, chunks: [Buffer.from(slot)], missing: overflow});
	}

	finish(): StreamDbSummary {
		const problems = [...this.problems];
		const pageSize = this.pageSize ?? 4096;
		if (this.carryBytes > 0) problems.push(`the database ends ${this.carryBytes} bytes into a page`);
		const meta = this.metas.filter(candidate => !candidate.problem).sort((a, b) => (b.txid > a.txid ? 1 : b.txid < a.txid ? -1 : 0))[0];
		if (!meta) {
			problems.push('no valid meta page');
			return {revision: 0, totalKey: 0, totalSize: 0, consistentIndex: undefined, pageSize: 0, problems};
		}
		const visited = new Set<number>();
		const leaves = (root: number | LeafSummary, depth = 0): LeafSummary[] => {
			if (typeof root !== 'number') return [root];
			if (depth > maxDepth) {
				problems.push(`the tree under page ${root} is deeper than ${maxDepth} levels`);
				return [];
			}
			if (visited.has(root)) {
				problems.push(`page ${root} is reachable twice`);
				return [];
			}
			visited.add(root);
			const page = this.pages.get(root);
			if (!page) {
				problems.push(`page ${root} is referenced but is not a branch or leaf page`);
				return [];
			}
			return page.kind === 'leaf' ? [page] : page.children.flatMap(child => leaves(child, depth + 1));
		};
		let totalKey = 0;
		let revision = 0;
		let consistentIndex: number | undefined;
		for (const leaf of leaves(Number(meta.root))) {
			for (const bucket of leaf.buckets) {
				const bucketLeaves = leaves(bucket.root);
				for (const bucketLeaf of bucketLeaves) totalKey += bucketLeaf.count;
				if (bucket.name.equals(keyBucket)) {
					const last = [...bucketLeaves].reverse().find(bucketLeaf => bucketLeaf.lastKey !== undefined)?.lastKey;
					if (last && last.length >= 8) revision = Number(last.readBigInt64BE(0));
				} else if (bucket.name.equals(metaBucket)) {
					consistentIndex = bucketLeaves.find(bucketLeaf => bucketLeaf.consistentIndex !== undefined)?.consistentIndex;
				}
			}
		}
		return {revision, totalKey, totalSize: Number(meta.pgid) * pageSize, consistentIndex, pageSize, problems};
	}
}
