/**
 * Names in code-unit order, as etcdctl's Go `sort.Strings` orders them: the same on every machine,
 * whatever its locale, and no ICU collator to build (`localeCompare`'s first call costs a one-shot
 * command ~15 ms).
 */
export function compareText(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}
