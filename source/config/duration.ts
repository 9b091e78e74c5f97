// Durations in Go's time.ParseDuration syntax, which etcdctl uses: "500ms", "2s", "1m30s", "1.5s".
const unitMs: Readonly<Record<string, number>> = {
	ns: 1e-6,
	us: 1e-3,
	µs: 1e-3,
	ms: 1,
	s: 1000,
	m: 60_000,
	h: 3_600_000,
};

const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds, or undefined when `text` is not a duration. A bare "0" is zero, as in Go. */
export function parseDuration(text: string): number | undefined {
	const trimmed = text.trim();
	if (trimmed === '0') return 0;
	if (trimmed === '') return undefined;
	let total = 0;
	part.lastIndex = 0;
	while (part.lastIndex < trimmed.length) {
		const start = part.lastIndex;
		const match = part.exec(trimmed);
		if (!match || match.index !== start) return undefined;
		total += Number(match[1]) * unitMs[match[2]!]!;
	}
	return total;
}

/** The range a duration flag accepts, documented beside the flag. */
export interface DurationRange {
	readonly minMs: number;
	readonly maxMs: number;
}

/**
 * The ranges of every duration flag. No timer may exceed 2^31-1 ms (~24.8 days): Node fires a longer one
 * after 1 ms, so a week-long interval would become a busy loop.
 */
export const durationRanges = {
	dialTimeout: {minMs: 10, maxMs: 600_000},
	commandTimeout: {minMs: 10, maxMs: 3_600_000},
	interval: {minMs: 100, maxMs: 3_600_000},
	probeTimeout: {minMs: 10, maxMs: 60_000},
	snapshotEvery: {minMs: 10_000, maxMs: 20 * 86_400_000},
	waitTimeout: {minMs: 1000, maxMs: 86_400_000},
	/** 0 too: metrics off. */
	metricsEvery: {minMs: 500, maxMs: 3_600_000},
	metricsWindow: {minMs: 1000, maxMs: 3_600_000},
} as const satisfies Record<string, DurationRange>;

export class DurationError extends Error {
	override readonly name = 'DurationError';
	constructor(
		message: string,
		readonly fix: string,
	) {
		super(message);
	}
}

/** Milliseconds of `text`, or a DurationError naming the range when it is not a duration within `range`. */
export function parseDurationIn(text: string, range: DurationRange): number {
	const ms = parseDuration(text);
	// Examples only from within the range: "from 10ms to 1m, e.g. 6h" would send the operator round again.
	const examples = ['500ms', '2s', '1m', '6h'].filter(example => {
		const at = parseDuration(example)!;
		return at >= range.minMs && at <= range.maxMs;
	});
	const fix = `use a number with a unit from ${formatRangeEnd(range.minMs)} to ${formatRangeEnd(range.maxMs)}${examples.length > 0 ? `, e.g. ${examples.join(', ')}` : ''}`;
	// "-1s" is a duration, just not one any flag takes.
	if (ms === undefined && /^\s*-/.test(text) && parseDuration(text.trim().slice(1)) !== undefined) throw new DurationError(`${text.trim()} is out of range (negative)`, fix);
	if (ms === undefined) throw new DurationError(`"${text}" is not a duration`, fix);
	if (ms < range.minMs || ms > range.maxMs) throw new DurationError(`${text.trim()} is out of range`, fix);
	return ms;
}

/** "from 10ms to 10m": how a range reads in help text and the readme's flag table. */
export function rangeText(range: DurationRange): string {
	return `from ${formatRangeEnd(range.minMs)} to ${formatRangeEnd(range.maxMs)}`;
}

function formatRangeEnd(ms: number): string {
	// Go's duration syntax has no days: 20 days is 480h.
	for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
		if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
	}
	return `${ms}ms`;
}
