// One sanitizer for text that comes from outside (member names, URLs, errors from etcd, gRPC or SSH,
// remote command output, file names, manifest fields) on its way to a terminal. etcd accepts any
// --name, so a member could otherwise retitle the operator's terminal, clear it, or draw fake rows.

/**
 * C0 controls but tab and newline, DEL, C1 controls (an 8-bit CSI is an escape in some terminals), and the
 * Unicode bidi controls (U+202E turns "evil.db" into "bd.live" on screen). Each becomes a visible escape.
 */
const unsafe = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

const unsafeChar = new RegExp(unsafe.source);

function escapeOf(char: string): string {
	const code = char.codePointAt(0)!;
	// JSON escapes every C0 control itself, so `\xNN` never lands inside a JSON string; the rest use the
	// `\uNNNN` form, which is also a valid JSON escape: a sanitized JSON document stays valid JSON.
	return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Whether the one-line sanitizer (visibleLine) shows `char` as an escape: a printed shell command quotes
 * such an argument so that what is pasted is the original (ssh/quote.ts quotePrintedArg).
 */
export function isShownEscaped(char: string): boolean {
	return char === '\n' || char === '\t' || unsafeChar.test(char);
}

/** `text` with every control and bidi character shown as an escape (`\x1b`, `\u202e`); tab and newline kept. */
export function visibleText(text: string): string {
	return text.replace(unsafe, escapeOf);
}

/** One line of untrusted text: newlines and tabs also escaped, so it cannot start a fake row. */
export function visibleLine(text: string): string {
	return visibleText(text).replace(/[\n\t]/g, char => (char === '\n' ? '\\n' : '\\t'));
}
