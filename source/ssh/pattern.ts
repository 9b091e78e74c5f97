/** OpenSSH's host pattern: `*` is any run of characters, `?` exactly one; everything else is literal. */
export function matchPattern(pattern: string, text: string): boolean {
	const source = [...pattern].map(char => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'))).join('');
	return new RegExp(`^${source}$`, 'is').test(text);
}

/**
 * A list of patterns as OpenSSH reads them (`Host a* !ab`, `host1,host2` in known_hosts): any negated
 * pattern that matches vetoes the whole list, else one positive match is enough.
 */
export function matchPatternList(patterns: readonly string[], text: string): boolean {
	let isMatched = false;
	for (const pattern of patterns) {
		if (pattern.startsWith('!')) {
			if (matchPattern(pattern.slice(1), text)) return false;
		} else if (matchPattern(pattern, text)) {
			isMatched = true;
		}
	}
	return isMatched;
}
