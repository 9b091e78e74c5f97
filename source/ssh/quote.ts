/**
 * The ONE place where text becomes shell syntax. sshd hands the command string to the user's login
 * shell (`$SHELL -c …`), so every argv element is wrapped in POSIX single quotes: inside them the shell
 * interprets nothing — no `$(…)`, backticks, globs, `;` or newlines — and a single quote itself is
 * written as '\'' (close, escaped quote, reopen). Assumes a POSIX shell on the remote side (sh, bash,
 * dash, zsh, ksh); csh/fish quote differently.
 */
export function quoteShellArg(value: string): string {
	// A NUL cannot travel in an exec request; a truncated argument must not run as something else.
	if (value.includes('\0')) throw new RangeError('a shell argument cannot contain a NUL byte');
	// Plain words stay readable in the command log; the allowed set has no shell meaning anywhere in a word.
	if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value) && !value.startsWith('=')) return value;
	return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** argv -> one command string for an SSH exec request. */
export function quoteArgv(argv: readonly string[]): string {
	if (argv.length === 0) throw new RangeError('a remote command needs at least a program name');
	return argv.map(quoteShellArg).join(' ');
}

/**
 * An argument for a command a person reads and pastes (a restore plan, start settings): as quoteShellArg,
 * but when it holds a character `isEscaped` says the screen shows as an escape (a control or bidi
 * character, model/visible-text.ts), bash's ANSI-C quoting `$'…\x1b…'`, which is visible on screen and
 * gives the original characters back when pasted into bash, zsh or ksh (a POSIX sh may not know it; an
 * SSH exec request keeps quoteShellArg). Below U+0080 `\xHH`, above `\uHHHH` (bash turns it into the
 * locale's UTF-8; `\x80`-`\x9f` would be raw bytes, not the C1 characters).
 */
export function quotePrintedArg(value: string, isEscaped: (char: string) => boolean): string {
	if (value.includes('\0')) throw new RangeError('a shell argument cannot contain a NUL byte');
	if (![...value].some(char => isEscaped(char))) return quoteShellArg(value);
	const body = [...value]
		.map(char => {
			if (char === '\\' || char === "'") return `\\${char}`;
			if (!isEscaped(char)) return char;
			const code = char.codePointAt(0)!;
			return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
		})
		.join('');
	return `$'${body}'`;
}

/** argv -> one command line for a person to paste (quotePrintedArg for each word). */
export function quotePrintedArgv(argv: readonly string[], isEscaped: (char: string) => boolean): string {
	if (argv.length === 0) throw new RangeError('a remote command needs at least a program name');
	return argv.map(word => quotePrintedArg(word, isEscaped)).join(' ');
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Environment for a remote command as `env NAME=value … argv`, because sshd accepts ssh2's `env`
 * option only for names listed in its AcceptEnv (usually just LANG and LC_*).
 */
export function withEnv(argv: readonly string[], env: Readonly<Record<string, string>> = {}): readonly string[] {
	const entries = Object.entries(env);
	if (entries.length === 0) return argv;
	for (const [name] of entries) {
		if (!envName.test(name)) throw new RangeError(`"${name}" is not a valid environment variable name`);
	}
	const [program] = argv;
	if (program === undefined) throw new RangeError('a remote command needs at least a program name');
	// env(1) would take a program name with "=" for one more assignment.
	if (program.includes('=')) throw new RangeError(`the program name "${program}" contains "=", which env(1) would misread`);
	return ['env', ...entries.map(([name, value]) => `${name}=${value}`), ...argv];
}
