import type {MetricsReading} from './metrics-window.js';

/**
 * `notice`: over what etcd's docs recommend (the disk is slower than etcd wants, nothing fails yet);
 * `warning` and `critical`: the etcd-mixin alerts. A warning makes the cluster degraded (status exit 1),
 * a critical one makes status exit 2; a notice changes no exit code.
 */
export type FindingLevel = 'notice' | 'warning' | 'critical';

export type FindingKey = 'wal-fsync' | 'backend-commit' | 'peer-rtt' | 'leader-changes' | 'proposals-failed' | 'fds';

export interface Finding {
	readonly key: FindingKey;
	readonly level: FindingLevel;
	/** In words, without the member's name: "WAL fsync p99 612 ms, over the 500 ms warning threshold". */
	readonly text: string;
}

export const thresholds = {
	/** etcd docs (hardware recommendations): p99 of WAL fsync below 10 ms; etcd-mixin etcdHighFsyncDurations. */
	walFsyncMs: {notice: 10, warning: 500, critical: 1000},
	/** etcd docs: p99 of backend commit below 25 ms; etcd-mixin etcdHighCommitDurations. */
	backendCommitMs: {notice: 25, warning: 250},
	/** etcd-mixin etcdMemberCommunicationSlow. */
	peerRttMs: {warning: 150},
	/** etcd-mixin etcdHighNumberOfLeaderChanges: this many within 15 minutes. */
	leaderChanges: {warning: 4, windowMs: 15 * 60_000},
	/** Open file descriptors over this share of the limit. */
	fdsRatio: {warning: 0.8},
} as const;

export const levelRank: Readonly<Record<FindingLevel, number>> = {notice: 1, warning: 2, critical: 3};

/** "612 ms", "4.1 ms", "1.35 s": a latency in milliseconds, in words. */
export function formatMs(ms: number): string {
	if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
	if (ms >= 100) return `${Math.round(ms)} ms`;
	if (ms >= 10) return `${ms.toFixed(1)} ms`;
	return `${ms.toFixed(2)} ms`;
}

/** A threshold as written in the docs: "10 ms", "500 ms", "1 s". */
function formatLimit(ms: number): string {
	return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * A level once crossed holds until the value is 10% under its threshold, so a p99 that hovers at the
 * line does not log a crossing and a clearing every few seconds.
 */
export const hysteresis = 0.9;

function latencyFinding(
	key: FindingKey,
	what: string,
	valueMs: number | undefined,
	limits: Partial<Record<FindingLevel, number>>,
	windowWords: string,
	previous: FindingLevel | undefined,
): Finding | undefined {
	if (valueMs === undefined) return undefined;
	for (const level of ['critical', 'warning', 'notice'] as const) {
		const limit = limits[level];
		if (limit === undefined) continue;
		const isHeld = previous !== undefined && levelRank[previous] >= levelRank[level] && valueMs > limit * hysteresis;
		if (valueMs <= limit && !isHeld) continue;
		const name = level === 'notice' ? `the ${formatLimit(limit)} etcd recommends` : `the ${formatLimit(limit)} ${level} threshold`;
		const relation = valueMs > limit ? `over ${name}` : `within 10% of ${name}`;
		return {key, level, text: `${what} ${formatMs(valueMs)}${windowWords}, ${relation}`};
	}
	return undefined;
}

export function windowWords(reading: Pick<MetricsReading, 'windowMs'>): string {
	if (reading.windowMs === undefined) return ' since it started';
	const seconds = Math.round(reading.windowMs / 1000);
	return seconds >= 120 && seconds % 60 === 0 ? ` over the last ${seconds / 60} min` : ` over the last ${seconds} s`;
}

/**
 * Every threshold `reading` crosses, worst first; `peerName` turns a peer's hex ID into its name.
 * `previous` (the findings of the reading before) holds a latency's level until it is 10% under.
 */
export function findingsOf(reading: MetricsReading, peerName: (id: string) => string = id => id, previous: readonly Finding[] = []): Finding[] {
	const findings: Finding[] = [];
	const before = (key: FindingKey) => previous.find(finding => finding.key === key)?.level;
	const push = (finding: Finding | undefined) => {
		if (finding) findings.push(finding);
	};
	const words = windowWords(reading);
	// A lifetime p99 (status without --metrics-window) mixes the member's whole life, its start included:
	// it is shown, but only a window says what the disk and network do now, as etcd-mixin's rate() does.
	const isJudgingLatency = reading.windowMs !== undefined;
	if (isJudgingLatency) push(latencyFinding('wal-fsync', 'WAL fsync p99', reading.walFsyncP99Ms, thresholds.walFsyncMs, words, before('wal-fsync')));
	if (isJudgingLatency) push(latencyFinding('backend-commit', 'backend commit p99', reading.backendCommitP99Ms, thresholds.backendCommitMs, words, before('backend-commit')));
	const peer = reading.worstPeer === undefined ? 'a peer' : peerName(reading.worstPeer);
	if (isJudgingLatency) push(latencyFinding('peer-rtt', `round trip to ${peer} p99`, reading.peerRttP99Ms, thresholds.peerRttMs, reading.peerRttWindowMs === reading.windowMs ? words : windowWords({windowMs: reading.peerRttWindowMs}), before('peer-rtt')));
	const changes = reading.leaderChangesRecent;
	if (changes && changes.count >= thresholds.leaderChanges.warning) {
		findings.push({key: 'leader-changes', level: 'warning', text: `${changes.count} leader changes seen${windowWords({windowMs: changes.spanMs})} (${thresholds.leaderChanges.warning} or more in 15 min)`});
	}
	if (reading.proposalsFailedRecent !== undefined && reading.proposalsFailedRecent > 0) {
		const count = reading.proposalsFailedRecent;
		findings.push({key: 'proposals-failed', level: 'warning', text: `${count} proposal${count === 1 ? '' : 's'} failed${words}`});
	}
	if (reading.openFds !== undefined && reading.maxFds !== undefined && reading.maxFds > 0 && reading.openFds / reading.maxFds > thresholds.fdsRatio.warning) {
		const percent = Math.round((reading.openFds / reading.maxFds) * 100);
		findings.push({key: 'fds', level: 'warning', text: `${reading.openFds} of ${reading.maxFds} file descriptors open (${percent}%, over ${thresholds.fdsRatio.warning * 100}%)`});
	}
	return findings.sort((a, b) => levelRank[b.level] - levelRank[a.level]);
}

/** The worst level among findings, or undefined when none. */
export function worstLevel(findings: readonly Finding[]): FindingLevel | undefined {
	let worst: FindingLevel | undefined;
	for (const finding of findings) if (!worst || levelRank[finding.level] > levelRank[worst]) worst = finding.level;
	return worst;
}

/** In words, what a reading shows once a finding of `key` has gone. */
export function clearedText(key: FindingKey, reading: MetricsReading): string {
	const words = windowWords(reading);
	const latency = (what: string, valueMs: number | undefined, none: string, spanWords = words) =>
		valueMs === undefined ? `${what} back under its thresholds (${none}${spanWords})` : `${what} back to ${formatMs(valueMs)}${spanWords}, under its thresholds`;
	switch (key) {
		case 'wal-fsync':
			return latency('WAL fsync p99', reading.walFsyncP99Ms, 'no fsync');
		case 'backend-commit':
			return latency('backend commit p99', reading.backendCommitP99Ms, 'no commit');
		case 'peer-rtt':
			return latency('peer round trip p99', reading.peerRttP99Ms, 'no round trip measured', windowWords({windowMs: reading.peerRttWindowMs}));
		case 'leader-changes':
			return `leader changes back under ${thresholds.leaderChanges.warning} in 15 min`;
		case 'proposals-failed':
			return `no failed proposals${words}`;
		case 'fds':
			return `open file descriptors back under ${thresholds.fdsRatio.warning * 100}% of the limit`;
	}
}
