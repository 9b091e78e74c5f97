import {visibleText} from '../model/visible-text.js';

// Every line a command prints outside the console passes here: etcdtop's own text has no control bytes,
// so showing every control byte as an escape costs nothing and covers what members, files and SSH said.

/** Writes to stdout with every control byte made visible. */
export function writeOut(text: string): void {
	process.stdout.write(visibleText(text));
}

/** Writes to stderr with every control byte made visible. */
export function writeErr(text: string): void {
	process.stderr.write(visibleText(text));
}

/** Where a command writes: `out` for results, `err` for diagnostics; each call is one line or more. */
export const terminalIo = {
	out: (text: string) => writeOut(`${text}\n`),
	err: (text: string) => writeErr(`${text}\n`),
};
