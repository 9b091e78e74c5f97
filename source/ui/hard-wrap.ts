/**
 * A value the operator copies, cut into rows of exactly `width` characters (the first row `firstWidth`):
 * every character is kept, a row ends only at the screen's edge, and the rows are known before they are
 * drawn, so a pane can budget its height. Word wrapping would move a long token to a row of its own and
 * leave gaps that a copy turns into spaces.
 */
export function hardWrap(text: string, width: number, firstWidth = width): readonly string[] {
	const chars = [...text];
	const rows: string[] = [];
	let at = 0;
	let room = Math.max(1, firstWidth);
	do {
		rows.push(chars.slice(at, at + room).join(''));
		at += room;
		room = Math.max(1, width);
	} while (at < chars.length);
	return rows;
}
