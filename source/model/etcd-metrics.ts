import {parsePromText, PromNames, PromParseError, type PromBody, type PromSample} from './prom-text.js';

/** A cumulative Prometheus histogram: `counts[i]` observations were <= `bounds[i]`; the last bound is +Inf. */
export interface Histogram {
	readonly bounds: readonly number[];
	readonly counts: readonly number[];
	readonly sum: number;
}

/** The numbers etcdtop reads from one member's /metrics; undefined where the member did not export one. */
export interface EtcdMetrics {
	readonly walFsync: Histogram | undefined;
	readonly backendCommit: Histogram | undefined;
	/** Round trip time to each peer, by the peer's hex member ID (etcd's `To` label). */
	readonly peerRtt: Readonly<Record<string, Histogram>>;
	readonly leaderChanges: number | undefined;
	readonly proposalsFailed: number | undefined;
	readonly proposalsPending: number | undefined;
	readonly hasLeader: boolean | undefined;
	readonly dbTotalSize: number | undefined;
	readonly dbTotalSizeInUse: number | undefined;
	readonly quotaBytes: number | undefined;
	readonly slowApply: number | undefined;
	readonly openFds: number | undefined;
	readonly maxFds: number | undefined;
}

export const etcdFamilies = {
	walFsync: 'etcd_disk_wal_fsync_duration_seconds',
	backendCommit: 'etcd_disk_backend_commit_duration_seconds',
	peerRtt: 'etcd_network_peer_round_trip_time_seconds',
	leaderChanges: 'etcd_server_leader_changes_seen_total',
	proposalsFailed: 'etcd_server_proposals_failed_total',
	proposalsPending: 'etcd_server_proposals_pending',
	hasLeader: 'etcd_server_has_leader',
	dbTotalSize: 'etcd_mvcc_db_total_size_in_bytes',
	dbTotalSizeInUse: 'etcd_mvcc_db_total_size_in_use_in_bytes',
	quotaBytes: 'etcd_server_quota_backend_bytes',
	slowApply: 'etcd_server_slow_apply_total',
	openFds: 'process_open_fds',
	maxFds: 'process_max_fds',
} as const;

const histogramFamilies = [etcdFamilies.walFsync, etcdFamilies.backendCommit, etcdFamilies.peerRtt];
const wantedNames = new PromNames([
	...Object.values(etcdFamilies).filter(family => !histogramFamilies.includes(family as (typeof histogramFamilies)[number])),
	...histogramFamilies.flatMap(family => [`${family}_bucket`, `${family}_sum`, `${family}_count`]),
]);

/** The first bytes of a body, as text, to say what was answered instead. */
function startOf(body: PromBody): string {
	if (typeof body === 'string') return body.slice(0, 200);
	const decoder = new TextDecoder();
	let text = '';
	for (const piece of body) {
		text += decoder.decode(piece.subarray(0, 200 - text.length), {stream: true});
		if (text.length >= 200) break;
	}
	return text;
}

export class MetricsFormatError extends Error {
	override readonly name = 'MetricsFormatError';
}

interface HistogramParts {
	buckets: Array<{bound: number; count: number}>;
	sum: number | undefined;
}

/** Groups a histogram family's samples by every label but `le` (peer RTT has one series per `To`). */
function histogramsOf(samples: readonly PromSample[], family: string, seriesLabel: string | undefined): Map<string, Histogram> {
	const parts = new Map<string, HistogramParts>();
	const partsFor = (sample: PromSample) => {
		const key = seriesLabel ? sample.labels[seriesLabel] ?? '' : '';
		let entry = parts.get(key);
		if (!entry) {
			entry = {buckets: [], sum: undefined};
			parts.set(key, entry);
		}
		return entry;
	};
	for (const sample of samples) {
		if (sample.name === `${family}_bucket`) {
			const le = sample.labels['le'];
			const bound = le === undefined ? Number.NaN : le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
			if (Number.isNaN(bound)) throw new MetricsFormatError(`${family}_bucket has a bucket without a numeric "le" label`);
			partsFor(sample).buckets.push({bound, count: sample.value});
		} else if (sample.name === `${family}_sum`) {
			partsFor(sample).sum = sample.value;
		}
	}
	const histograms = new Map<string, Histogram>();
	for (const [key, {buckets, sum}] of parts) {
		buckets.sort((a, b) => a.bound - b.bound);
		if (buckets.at(-1)?.bound !== Number.POSITIVE_INFINITY) throw new MetricsFormatError(`${family} has no +Inf bucket`);
		histograms.set(key, Object.freeze({bounds: Object.freeze(buckets.map(bucket => bucket.bound)), counts: Object.freeze(buckets.map(bucket => bucket.count)), sum: sum ?? 0}));
	}
	return histograms;
}

/**
 * Reads etcd's /metrics text (or its bytes as received): only the families etcdtop shows are parsed.
 * Text without any of them is not etcd's (a wrong --metrics-urls, a proxy's page) and is an error
 * saying so.
 */
export function parseEtcdMetrics(body: PromBody): EtcdMetrics {
	let samples: PromSample[];
	try {
		samples = parsePromText(body, wantedNames);
	} catch (error) {
		if (error instanceof PromParseError) throw new MetricsFormatError(`not Prometheus text: ${error.message}`);
		throw error;
	}
	if (samples.length === 0) {
		const first = startOf(body).trimStart().slice(0, 40).replace(/\s+/g, ' ');
		throw new MetricsFormatError(`no etcd metrics in the answer (it starts ${JSON.stringify(first)})`);
	}
	const scalars = new Map<string, number>();
	for (const sample of samples) if (!sample.name.endsWith('_bucket')) scalars.set(sample.name, sample.value);
	const scalar = (family: string) => scalars.get(family);
	const single = (family: string) => histogramsOf(samples, family, undefined).get('');
	const hasLeader = scalar(etcdFamilies.hasLeader);
	return Object.freeze({
		walFsync: single(etcdFamilies.walFsync),
		backendCommit: single(etcdFamilies.backendCommit),
		peerRtt: Object.freeze(Object.fromEntries(histogramsOf(samples, etcdFamilies.peerRtt, 'To'))),
		leaderChanges: scalar(etcdFamilies.leaderChanges),
		proposalsFailed: scalar(etcdFamilies.proposalsFailed),
		proposalsPending: scalar(etcdFamilies.proposalsPending),
		hasLeader: hasLeader === undefined ? undefined : hasLeader === 1,
		dbTotalSize: scalar(etcdFamilies.dbTotalSize),
		dbTotalSizeInUse: scalar(etcdFamilies.dbTotalSizeInUse),
		quotaBytes: scalar(etcdFamilies.quotaBytes),
		slowApply: scalar(etcdFamilies.slowApply),
		openFds: scalar(etcdFamilies.openFds),
		maxFds: scalar(etcdFamilies.maxFds),
	});
}

/** How many observations a histogram holds (its +Inf bucket). */
export function observations(histogram: Histogram): number {
	return histogram.counts.at(-1) ?? 0;
}

/**
 * Prometheus' histogram_quantile: find the bucket holding the q-th observation and interpolate
 * linearly inside it (the first bucket starts at 0; a rank in +Inf gives the highest finite bound).
 * Undefined when the histogram holds no observations, where Prometheus answers NaN.
 */
export function histogramQuantile(q: number, histogram: Histogram): number | undefined {
	const {bounds} = histogram;
	// Counts must not fall from one bucket to the next; a scrape racing an observation can show that.
	const counts: number[] = [];
	for (const count of histogram.counts) counts.push(Math.max(count, counts.at(-1) ?? 0));
	const total = counts.at(-1) ?? 0;
	if (bounds.length < 2 || total <= 0) return undefined;
	if (q <= 0) return bounds[0]! <= 0 ? bounds[0] : 0;
	let rank = Math.min(q, 1) * total;
	const bucket = counts.findIndex(count => count >= rank);
	if (bucket === bounds.length - 1) return bounds[bounds.length - 2];
	if (bucket === 0 && bounds[0]! <= 0) return bounds[0];
	const start = bucket === 0 ? 0 : bounds[bucket - 1]!;
	const end = bounds[bucket]!;
	let inBucket = counts[bucket]!;
	if (bucket > 0) {
		inBucket -= counts[bucket - 1]!;
		rank -= counts[bucket - 1]!;
	}
	return start + (end - start) * (rank / inBucket);
}

/**
 * What `newer` observed since `older`: the bucket-wise difference, as Prometheus' `rate` over the
 * window would give (the scale does not change a quantile). When a count went down the member
 * restarted between the two and `newer` alone is what it observed since; a different bucket layout
 * (an upgrade) is treated the same way.
 */
export function histogramDelta(newer: Histogram, older: Histogram | undefined): Histogram {
	if (!older || older.bounds.length !== newer.bounds.length || older.bounds.some((bound, index) => bound !== newer.bounds[index])) return newer;
	const counts = newer.counts.map((count, index) => count - older.counts[index]!);
	if (counts.some(count => count < 0)) return newer;
	return Object.freeze({bounds: newer.bounds, counts: Object.freeze(counts), sum: newer.sum - older.sum});
}

/** A counter's increase, with a restart (the counter fell) counted from zero. */
export function counterIncrease(newer: number | undefined, older: number | undefined): number | undefined {
	if (newer === undefined) return undefined;
	if (older === undefined) return undefined;
	return newer >= older ? newer - older : newer;
}
