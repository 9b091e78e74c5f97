import {counterIncrease, histogramDelta, histogramQuantile, type EtcdMetrics, type Histogram} from './etcd-metrics.js';
import {findingsOf, thresholds, type Finding} from './metrics-thresholds.js';
import {compareText} from './order.js';

export interface MetricsScrape {
	readonly at: number;
	readonly metrics: EtcdMetrics;
}

export interface PeerRtt {
	/** The peer's hex member ID. */
	readonly id: string;
	readonly p99Ms: number | undefined;
}

/** The gauges and counters of one scrape as etcd reports them (a new one is a field of EtcdMetrics, nothing here). */
export type MetricsGauges = Omit<EtcdMetrics, 'walFsync' | 'backendCommit' | 'peerRtt'>;

/** What one member's /metrics say now: percentiles over a window (or since the member started), and the latest gauges. */
export interface MetricsReading extends MetricsGauges {
	readonly at: number;
	/** The span the percentiles cover in ms; undefined: since the member started (one scrape, lifetime). */
	readonly windowMs: number | undefined;
	/** Undefined: no fsync (no write) happened in the window. */
	readonly walFsyncP99Ms: number | undefined;
	readonly backendCommitP99Ms: number | undefined;
	/** The worst peer's p99 round trip time. */
	readonly peerRttP99Ms: number | undefined;
	readonly worstPeer: string | undefined;
	readonly peers: readonly PeerRtt[];
	/** etcd observes a peer's round trip only every 30 s, so its window is at least a minute. */
	readonly peerRttWindowMs: number | undefined;
	/** Leader changes within the last 15 minutes, or the part of them the scrapes so far cover. */
	readonly leaderChangesRecent: {readonly count: number; readonly spanMs: number} | undefined;
	/** Failed proposals within the window. */
	readonly proposalsFailedRecent: number | undefined;
}

interface CounterSample {
	readonly at: number;
	readonly leaderChanges: number | undefined;
}

/** One member's metrics over time: the raw scrapes a window needs, readings for sparklines, the last failure. */
export interface MetricsTrack {
	/** Scrapes as far back as the windows reach, oldest first. */
	readonly scrapes: readonly MetricsScrape[];
	/** Leader-change counts for 15 minutes (small: two numbers a scrape). */
	readonly counters: readonly CounterSample[];
	/** The latest reading, kept while later scrapes fail. */
	readonly reading: MetricsReading | undefined;
	readonly history: readonly MetricsReading[];
	/** Of the latest reading; kept while scrapes fail (see activeFindings). */
	readonly findings: readonly Finding[];
	/** Set while the last scrape failed. */
	readonly error: {readonly message: string; readonly at: number; readonly since: number} | undefined;
}

export const metricsHistoryLength = 120;
export const defaultMetricsWindowMs = 30_000;
export const minPeerRttWindowMs = 60_000;

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

function quantileMs(histogram: Histogram | undefined): number | undefined {
	return histogram ? ms(histogramQuantile(0.99, histogram)) : undefined;
}

/** The oldest scrape no older than `spanMs` before `newest` (a little slack for timer jitter). */
function windowStart(scrapes: readonly MetricsScrape[], newest: MetricsScrape, spanMs: number): MetricsScrape | undefined {
	const earliest = newest.at - spanMs * 1.1 - 500;
	return scrapes.find(scrape => scrape.at >= earliest && scrape.at < newest.at);
}

function peersOf(newest: EtcdMetrics, older: EtcdMetrics | undefined, isLifetime: boolean): {peers: PeerRtt[]; worst: PeerRtt | undefined} {
	const peers = Object.entries(newest.peerRtt)
		.map(([id, histogram]) => ({id, p99Ms: quantileMs(isLifetime ? histogram : histogramDelta(histogram, older?.peerRtt[id]))}))
		.sort((a, b) => compareText(a.id, b.id));
	let worst: PeerRtt | undefined;
	for (const peer of peers) if (peer.p99Ms !== undefined && (worst?.p99Ms === undefined || peer.p99Ms > worst.p99Ms)) worst = peer;
	return {peers, worst};
}

/**
 * The reading of `newest` against `scrapes` (oldest first). With `windowMs` the percentiles are those
 * of what was observed since the scrape a window earlier, as `histogram_quantile(0.99, rate(…[window]))`
 * gives; before a second scrape there is no window yet and they are undefined. Without `windowMs` they
 * are the member's lifetime percentiles.
 */
export function readingOf(scrapes: readonly MetricsScrape[], newest: MetricsScrape, windowMs: number | undefined, counters: readonly CounterSample[] = []): MetricsReading {
	const m = newest.metrics;
	const isLifetime = windowMs === undefined;
	const start = isLifetime ? undefined : windowStart(scrapes, newest, windowMs);
	const rttStart = isLifetime ? undefined : windowStart(scrapes, newest, Math.max(windowMs, minPeerRttWindowMs));
	const windowed = (of: (metrics: EtcdMetrics) => Histogram | undefined) => {
		const histogram = of(m);
		if (!histogram) return undefined;
		if (isLifetime) return quantileMs(histogram);
		return start ? quantileMs(histogramDelta(histogram, of(start.metrics))) : undefined;
	};
	const {peers, worst} = rttStart || isLifetime ? peersOf(m, rttStart?.metrics, isLifetime) : {peers: Object.keys(m.peerRtt).sort().map(id => ({id, p99Ms: undefined})), worst: undefined};

	let leaderChangesRecent: MetricsReading['leaderChangesRecent'];
	const earliest = newest.at - thresholds.leaderChanges.windowMs;
	const first = counters.find(sample => sample.at >= earliest && sample.leaderChanges !== undefined);
	if (first && first.at < newest.at) {
		const count = counterIncrease(m.leaderChanges, first.leaderChanges);
		if (count !== undefined) leaderChangesRecent = {count, spanMs: newest.at - first.at};
	}

	const {walFsync: _walFsync, backendCommit: _backendCommit, peerRtt: _peerRtt, ...gauges} = m;
	return Object.freeze({
		...gauges,
		at: newest.at,
		windowMs: isLifetime ? undefined : start ? newest.at - start.at : 0,
		walFsyncP99Ms: windowed(metrics => metrics.walFsync),
		backendCommitP99Ms: windowed(metrics => metrics.backendCommit),
		peerRttP99Ms: worst?.p99Ms,
		worstPeer: worst?.id,
		peers: Object.freeze(peers),
		peerRttWindowMs: isLifetime ? undefined : rttStart ? newest.at - rttStart.at : 0,
		leaderChangesRecent,
		proposalsFailedRecent: start ? counterIncrease(m.proposalsFailed, start.metrics.proposalsFailed) : undefined,
	});
}

function push<T>(ring: readonly T[], item: T, length: number): readonly T[] {
	const next = ring.length >= length ? ring.slice(ring.length - length + 1) : ring.slice();
	next.push(item);
	return Object.freeze(next);
}

const emptyTrack: MetricsTrack = Object.freeze({scrapes: [], counters: [], reading: undefined, history: [], findings: [], error: undefined});

/** A successful scrape: the scrapes are trimmed to what the windows need and a new reading is made. */
export function recordScrape(track: MetricsTrack | undefined, scrape: MetricsScrape, windowMs: number | undefined, peerName?: (id: string) => string): MetricsTrack {
	const base = track ?? emptyTrack;
	const keepMs = windowMs === undefined ? 0 : Math.max(windowMs, minPeerRttWindowMs) * 1.1 + 500;
	const scrapes = Object.freeze([...base.scrapes.filter(old => old.at >= scrape.at - keepMs && old.at < scrape.at), scrape]);
	const counters = Object.freeze([
		...base.counters.filter(old => old.at >= scrape.at - thresholds.leaderChanges.windowMs && old.at < scrape.at),
		{at: scrape.at, leaderChanges: scrape.metrics.leaderChanges},
	]);
	const reading = readingOf(scrapes, scrape, windowMs, counters);
	return Object.freeze({
		scrapes,
		counters,
		reading,
		history: push(base.history, reading, metricsHistoryLength),
		// Without a scrape a window back the percentiles are unknown, which is no news either way.
		findings: reading.windowMs === 0 ? base.findings : Object.freeze(findingsOf(reading, peerName, base.findings)),
		error: undefined,
	});
}

/**
 * A failed scrape: the reason is kept beside the last reading and its findings. While `error` is set
 * nothing acts on them (a number that can no longer be read keeps no cluster degraded); once a read
 * succeeds again only what changed since is news.
 */
export function recordScrapeFailure(track: MetricsTrack | undefined, at: number, message: string): MetricsTrack {
	const base = track ?? emptyTrack;
	return Object.freeze({...base, error: {message, at, since: base.error?.since ?? at}});
}

/** The findings that count now: none while the metrics cannot be read. */
export function activeFindings(track: MetricsTrack | undefined): readonly Finding[] {
	return !track || track.error ? [] : track.findings;
}
