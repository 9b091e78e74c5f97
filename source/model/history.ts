export interface Sample {
	readonly at: number;
	readonly raftIndex: number;
	/** The keyspace revision: it moves only when a write (put, delete, txn) changed keys. */
	readonly revision: number;
	readonly dbSize: number;
	readonly latencyMs: number;
}

export const historyLength = 120;

/** Appends to a bounded ring; the newest sample is last. Arrays stay immutable for React. */
export function pushSample(ring: readonly Sample[] | undefined, sample: Sample, length = historyLength): readonly Sample[] {
	const base = ring ?? [];
	const next = base.length >= length ? base.slice(base.length - length + 1) : base.slice();
	next.push(sample);
	return Object.freeze(next);
}

/**
 * Writes per second between consecutive samples: the revision's change, which only a write that changed
 * keys moves. (The raft index also moves for refused puts, lease renewals, auth token exchanges and
 * `alarm list`: during NOSPACE, when every put is refused, it still climbs.)
 */
export function writeRates(ring: readonly Sample[]): number[] {
	const rates: number[] = [];
	for (let index = 1; index < ring.length; index++) {
		const previous = ring[index - 1]!;
		const current = ring[index]!;
		const seconds = (current.at - previous.at) / 1000;
		rates.push(seconds > 0 ? Math.max(0, current.revision - previous.revision) / seconds : 0);
	}
	return rates;
}
