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

export function formatDuration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)}ms`;
	if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
	if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
	return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
}
