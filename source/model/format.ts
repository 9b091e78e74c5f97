/** Bytes the way etcdctl prints them (go-humanize's SI Bytes): "25 kB", "1.2 MB". */
export function humanBytes(bytes: number): string {
	if (bytes < 10) return `${bytes} B`;
	const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
	const exponent = Math.min(Math.floor(Math.log(bytes) / Math.log(1000)), units.length - 1);
	const value = Math.floor((bytes / 1000 ** exponent) * 10 + 0.5) / 10;
	return `${value < 10 ? value.toFixed(1) : String(roundHalfEven(value))} ${units[exponent]}`;
}

/** Go's %.0f rounds halves to even (20.5 -> 20); toFixed would give 21 and disagree with etcdctl. */
function roundHalfEven(value: number): number {
	const floor = Math.floor(value);
	const fraction = value - floor;
	if (fraction !== 0.5) return Math.round(value);
	return floor % 2 === 0 ? floor : floor + 1;
}

export interface DurationFormat {
	/** `auto`: ms under a second, tenths under a minute; `seconds`: never finer than whole seconds. */
	readonly finest?: 'auto' | 'seconds';
	/** `up` for a countdown ("in 1s" until it is due), else to the nearest. */
	readonly rounding?: 'nearest' | 'up';
}

/**
 * The one duration formatter, in Go's spelling as etcdctl prints it: "250ms", "1.5s", "1m30s", "2m0s",
 * "1h5m". Rounding happens once, in the smallest unit shown, and carries: 119.6s is "2m0s", not "1m60s".
 */
export function formatDuration(ms: number, {finest = 'auto', rounding = 'nearest'}: DurationFormat = {}): string {
	const round = rounding === 'up' ? Math.ceil : Math.round;
	const value = Math.max(0, ms);
	if (finest === 'auto') {
		if (round(value) < 1000) return `${round(value)}ms`;
		const tenths = round(value / 100);
		if (tenths < 600) return `${tenths / 10}s`;
	}
	const seconds = round(value / 1000);
	if (seconds < 60) return `${seconds}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
	const minutes = round(value / 60_000);
	return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/** "3s", "4m", "2h", "5d": how long ago, for a column that must stay narrow. */
export function shortAge(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
	if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
	return `${Math.floor(seconds / 86_400)}d`;
}

export function formatLatency(ms: number | undefined): string {
	if (ms === undefined) return '-';
	return ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

export function formatRate(perSecond: number): string {
	if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
	return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`;
}

export function clockTime(at: number): string {
	return new Date(at).toISOString().slice(11, 19);
}

/**
 * Prose broken at spaces to `width`, continuations indented by `indent`; only a word wider than a whole
 * line is broken inside. The line's own leading spaces stay.
 */
export function wrapWords(text: string, width: number, indent = '      '): string[] {
	const lead = /^ */.exec(text)![0];
	const lines: string[] = [];
	let line = lead;
	for (const word of text.slice(lead.length).split(' ')) {
		const isLineStart = line.trim() === '';
		const next = isLineStart ? `${line}${word}` : `${line} ${word}`;
		if (next.length <= width || isLineStart) {
			line = next;
		} else {
			lines.push(line);
			line = `${indent}${word}`;
		}
		while (line.length > width) {
			lines.push(line.slice(0, width));
			line = `${indent}${line.slice(width)}`;
		}
	}
	lines.push(line);
	return lines;
}
