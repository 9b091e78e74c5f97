import {closeSync, constants, mkdirSync, openSync, writeSync} from 'node:fs';
import {homedir} from 'node:os';
import {join, resolve} from 'node:path';
import {visibleLine} from '../model/visible-text.js';

/** Where the console writes settings files: the working directory, else etcdtop's data directory. */
export function settingsDirs(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd(), home = homedir()): readonly string[] {
	const dataHome = env['XDG_DATA_HOME'] && env['XDG_DATA_HOME'].startsWith('/') ? env['XDG_DATA_HOME'] : join(home, '.local', 'share');
	return [resolve(cwd), join(dataHome, 'etcdtop')];
}

/** A name that sorts by time and needs no quoting: the member name is checked by the workflow before it is used. */
export function settingsFileName(memberName: string, at: Date): string {
	const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
	const safe = memberName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63) || 'member';
	return `etcdtop-${safe}-settings-${stamp}.txt`;
}

/**
 * Writes `lines` to a new file, mode 0600, and returns its path. O_EXCL and O_NOFOLLOW: a file or a link
 * planted under that name is refused, never followed or overwritten, as every file etcdtop creates.
 * Tries each directory in turn (a read-only working directory falls back to the data directory).
 * Control bytes are written as escapes: the file is read with cat.
 */
export function writeSettingsFile(lines: readonly string[], memberName: string, {dirs = settingsDirs(), at = new Date()}: {readonly dirs?: readonly string[]; readonly at?: Date} = {}): string {
	const problems: string[] = [];
	for (const [index, dir] of dirs.entries()) {
		const path = join(dir, settingsFileName(memberName, at));
		let fd: number;
		try {
			// The fallback directory is etcdtop's own: made 0700 if it is missing.
			if (index > 0) mkdirSync(dir, {recursive: true, mode: 0o700});
			fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			problems.push(code === 'EEXIST' || code === 'ELOOP' ? `${path} exists already (a file or link etcdtop did not create): not overwritten` : `${path}: ${code ?? (error as Error).message}`);
			continue;
		}
		try {
			writeSync(fd, `${lines.map(line => visibleLine(line)).join('\n')}\n`);
		} finally {
			closeSync(fd);
		}
		return path;
	}
	throw new Error(`could not write the settings: ${problems.join('; ')}`);
}
