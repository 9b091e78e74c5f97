const bars = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** The last `width` values as block characters scaled to their own maximum. */
export function sparkline(values: readonly number[], width: number): string {
	if (width <= 0) return '';
	const tail = values.slice(-width);
	const max = Math.max(...tail, 0);
	const line = tail.map(value => (max <= 0 ? bars[0]! : bars[Math.min(bars.length - 1, Math.round((value / max) * (bars.length - 1)))]!)).join('');
	return line.padStart(width, ' ');
}
