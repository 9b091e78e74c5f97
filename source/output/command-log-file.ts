import {closeSync, constants, fchmodSync, fstatSync, openSync, writeSync} from 'node:fs';
import {visibleLine} from '../model/visible-text.js';

/** One change to the cluster as the runner logs it. */
export interface LoggedChange {
	readonly at: number;
	readonly step: string;
	readonly command: string;
	readonly result: string;
}

export class CommandLogFileError extends Error {
	override readonly name = 'CommandLogFileError';
}

export interface CommandLogFile {
	readonly change: (entry: LoggedChange) => void;
	readonly remote: (line: string) => void;
	/** What the operator must copy (a new member's start settings, the final --etcd-servers), each line whole. */
	readonly copyable: (lines: readonly string[]) => void;
	readonly close: () => void;
}

/** No --command-log: nothing is written. */
export const noCommandLogFile: CommandLogFile = {change: () => undefined, remote: () => undefined, copyable: () => undefined, close: () => undefined};

/**
 * `--command-log FILE`: opened once, before any change, for appending. O_NOFOLLOW: a link planted at FILE
 * (in a shared directory) is refused rather than followed. A file others could read is made 0600 when it
 * is ours, else `warn` says so. Each line's control bytes are written as escapes: the file is read with cat.
 */
export function openCommandLogFile(path: string | undefined, warn: (text: string) => void): CommandLogFile {
	if (path === undefined) return noCommandLogFile;
	let fd: number;
	try {
		// O_NONBLOCK: a FIFO there fails at once (ENXIO without a reader) or is refused below, never waited on.
		fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ELOOP') throw new CommandLogFileError(`${path} is a symbolic link: etcdtop does not write through links; give the real file`);
		if (code === 'ENXIO') throw new CommandLogFileError(`${path} is not a regular file (a FIFO)`);
		throw new CommandLogFileError(`cannot open ${path} for appending (${code ?? (error as Error).message})`);
	}
	const stats = fstatSync(fd);
	if (!stats.isFile()) {
		closeSync(fd);
		throw new CommandLogFileError(`${path} is not a regular file`);
	}
	if ((stats.mode & 0o077) !== 0) {
		const mode = (stats.mode & 0o777).toString(8);
		if (process.getuid?.() === stats.uid) {
			fchmodSync(fd, 0o600);
			warn(`--command-log: ${path} was mode ${mode}, readable by others; it is now 0600`);
		} else {
			warn(`--command-log: ${path} is mode ${mode} and belongs to another user: others may read what it records`);
		}
	}
	const append = (line: string) => writeSync(fd, `${visibleLine(line)}\n`);
	return {
		change: entry => append(`${new Date(entry.at).toISOString()} [${entry.step}] ${entry.command} -> ${entry.result}`),
		remote: line => append(`${new Date().toISOString()} [remote] ${line}`),
		copyable: lines => {
			const at = new Date().toISOString();
			for (const line of lines) append(`${at} [settings] ${line}`);
		},
		close: () => closeSync(fd),
	};
}
