/** An ASCII table exactly as etcdctl draws it (tablewriter: +---+ borders, centred headers, cells aligned right). */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
	const widths = headers.map((header, column) => Math.max(header.length, ...rows.map(row => (row[column] ?? '').length)));
	const rule = `+${widths.map(width => '-'.repeat(width + 2)).join('+')}+`;
	const centre = (text: string, width: number) => {
		const left = Math.floor((width - text.length) / 2);
		return ' '.repeat(left) + text + ' '.repeat(width - text.length - left);
	};
	const line = (cells: readonly string[], align: (text: string, width: number) => string) =>
		`| ${cells.map((cell, column) => align(cell, widths[column]!)).join(' | ')} |`;
	return [rule, line(headers, centre), rule, ...rows.map(row => line(row, (text, width) => text.padStart(width))), rule].join('\n') + '\n';
}
