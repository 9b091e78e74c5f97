import {closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, unlinkSync, type Stats} from 'node:fs';
import {open} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {createdAtOf, type SnapshotEntry, type SnapshotManifest} from '../model/snapshot-entry.js';
import {manifestPathOf, maxManifestBytes, parseManifest} from './file/manifest.js';
import {claimProblem, ManifestDigest, type LeftAlone, type RetentionOutcome} from './owned-file.js';
import {chooseDeletions, type RetentionPolicy} from '../model/retention.js';
import {compareText} from '../model/order.js';

export {createdAtOf, type SnapshotEntry};

/** A timestamped name for a save without FILE: sorts by time, no characters a shell or Windows dislikes. */
export function snapshotFileName(at: Date, isEncrypted: boolean): string {
	const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
	return `etcd-snapshot-${stamp}.db${isEncrypted ? '.age' : ''}`;
}

function readManifest(path: string): SnapshotManifest | undefined {
	let text: string;
	try {
		// Never more than a manifest's worth: a huge file planted at NAME.meta.json is not read whole.
		const fd = openSync(manifestPathOf(path), fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
		try {
			const stats = fstatSync(fd);
			if (!stats.isFile() || stats.size > maxManifestBytes) return undefined;
			const buffer = Buffer.alloc(stats.size);
			text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
		} finally {
			closeSync(fd);
		}
	} catch {
		return undefined;
	}
	return parseManifest(text);
}

export function readManifestOf(path: string): SnapshotManifest | undefined {
	return readManifest(path);
}

/**
 * A snapshot directory another user could redirect or fill: etcdtop neither saves into it, nor lists it
 * (its files would be offered for a restore), nor prunes it. `problem` names the path, `fix` says what to do.
 */
export class UnsafeSnapshotDirError extends Error {
	override readonly name = 'UnsafeSnapshotDirError';
	constructor(
		readonly directory: string,
		readonly problem: string,
		readonly fix: string,
	) {
		super(`${problem} (${fix})`);
	}
}

/** Why one path on the way to the snapshot directory lets someone else decide what is in it, or undefined. */
function pathProblem(path: string, stats: Stats, uid: number, isSnapshotDir: boolean): {problem: string; fix: string} | undefined {
	const owner = stats.uid;
	const isTrusted = owner === uid || owner === 0;
	if (stats.isSymbolicLink()) {
		if (isTrusted) return undefined;
		return {problem: `${path} is a symbolic link owned by uid ${owner}, not by this user (uid ${uid}) or root: its owner decides where snapshots go`, fix: `remove the link, or give --snapshot-dir a directory of your own`};
	}
	if (!stats.isDirectory()) return undefined;
	if (!isTrusted) return {problem: `${path} belongs to uid ${owner}, not to this user (uid ${uid}) or root`, fix: `chown it to this user, or give --snapshot-dir a directory of your own`};
	// Sticky (as /tmp): others may add entries but not rename or remove ours; enough on the way, never for the snapshot directory itself.
	const isOpenToOthers = (stats.mode & 0o022) !== 0;
	if (!isOpenToOthers || (!isSnapshotDir && (stats.mode & 0o1000) !== 0)) return undefined;
	const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
	const who = [(stats.mode & 0o020) !== 0 ? 'its group' : '', (stats.mode & 0o002) !== 0 ? 'others' : ''].filter(Boolean).join(' and ');
	return {
		problem: `${path} is writable by ${who} (mode ${mode})`,
		fix: isSnapshotDir ? `chmod go-w it (etcdtop creates it 0700), or give --snapshot-dir a directory of your own` : `chmod go-w it, or give --snapshot-dir a directory of your own`,
	};
}

/**
 * Refuses (UnsafeSnapshotDirError) a snapshot directory that is not this user's (or root's) alone, as ssh's
 * StrictModes refuses a ~/.ssh others could write: the directory and every directory above it, as given
 * and as its links resolve, belong to this user or root; a symbolic link on the way was made by one of
 * them; the directory is writable by no one else, and a directory above it only with the sticky bit (as
 * /tmp). A missing directory passes: a save creates it 0700 and is checked again. Files inside are
 * created with O_EXCL and opened without following links; this is about the directory itself.
 */
export function checkSnapshotDir(directory: string, uid: number | undefined = process.geteuid?.()): void {
	if (uid === undefined) return;
	const target = resolve(directory);
	let real: string | undefined;
	try {
		real = realpathSync(target);
	} catch {
		real = undefined;
	}
	// As given: each link on the way is judged before it is followed; as resolved: where the files really go.
	for (const start of real && real !== target ? [target, real] : [target]) {
		for (let path = start; ; path = dirname(path)) {
			let stats;
			try {
				stats = lstatSync(path);
			} catch {
				stats = undefined;
			}
			const problem = stats && pathProblem(path, stats, uid, path === start);
			if (problem) throw new UnsafeSnapshotDirError(directory, problem.problem, problem.fix);
			if (path === dirname(path)) break;
		}
	}
}

/** Snapshot files in a directory, newest first: every regular file but manifests and unfinished .part files. Throws UnsafeSnapshotDirError (checkSnapshotDir). */
export function listSnapshotDir(directory: string): SnapshotEntry[] {
	checkSnapshotDir(directory);
	let names: string[];
	try {
		names = readdirSync(directory);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
	const entries: SnapshotEntry[] = [];
	for (const name of names) {
		if (name.endsWith('.meta.json') || name.endsWith('.part') || name.startsWith('.')) continue;
		const path = join(directory, name);
		let stats;
		try {
			stats = statSync(path);
		} catch {
			continue;
		}
		if (!stats.isFile()) continue;
		entries.push({name, path, fileSize: stats.size, modifiedAt: stats.mtimeMs, isEncrypted: name.endsWith('.age'), manifest: readManifest(path)});
	}
	return entries.sort((a, b) => createdAtOf(b) - createdAtOf(a) || compareText(b.name, a.name));
}

/** Removes a snapshot and its manifest. */
export function deleteSnapshot(path: string): void {
	unlinkSync(path);
	try {
		unlinkSync(manifestPathOf(path));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
	}
}

/**
 * Reads the file through a descriptor opened without following a link, and checks it against its
 * manifest's size and sha256; undefined when it is the file etcdtop wrote, else why not.
 */
async function mismatchOf(path: string, manifest: SnapshotManifest): Promise<string | undefined> {
	let handle;
	try {
		handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'ELOOP' ? 'it is a symbolic link' : `it cannot be read (${code ?? (error as Error).message})`;
	}
	try {
		if (!(await handle.stat()).isFile()) return 'it is not a regular file';
		const digest = new ManifestDigest(manifest);
		const buffer = Buffer.allocUnsafe(1 << 20);
		for (;;) {
			// One MiB at a time, awaited: the console's frames go on while a large file is hashed.
			const {bytesRead} = await handle.read(buffer, 0, buffer.length, null);
			if (bytesRead === 0) break;
			digest.update(buffer.subarray(0, bytesRead));
		}
		return digest.problem();
	} finally {
		await handle.close();
	}
}

/**
 * --keep N / --keep-policy after a successful save (or `snapshot prune`): among the files etcdtop wrote in
 * the directory, removes what the policy does not keep, never the newest verified one. A file is etcdtop's
 * only when its manifest names it and it still has the recorded size and sha256 (checked before it is
 * removed); every other file with a manifest is left alone and reported. `failed` names files whose
 * verification failed. With isDryRun nothing is removed: `removed` is what would be.
 */
export async function applyRetention(directory: string, policy: number | RetentionPolicy, failed: ReadonlySet<string> = new Set(), {isDryRun = false}: {isDryRun?: boolean} = {}): Promise<RetentionOutcome> {
	const leftAlone: LeftAlone[] = [];
	const managed: SnapshotEntry[] = [];
	for (const entry of listSnapshotDir(directory)) {
		if (!entry.manifest) continue;
		let problem = claimProblem(entry.manifest, entry.name, entry.fileSize);
		try {
			if (!problem && lstatSync(entry.path).isSymbolicLink()) problem = 'it is a symbolic link';
		} catch {
			problem = 'it is gone';
		}
		if (problem) leftAlone.push({name: entry.name, why: problem});
		else managed.push(entry);
	}
	const doomed = chooseDeletions(
		managed.map(entry => ({name: entry.name, createdAt: createdAtOf(entry), isVerified: !failed.has(entry.name)})),
		policy,
	);
	const removed: string[] = [];
	for (const name of doomed) {
		const entry = managed.find(candidate => candidate.name === name)!;
		const problem = await mismatchOf(entry.path, entry.manifest!);
		if (problem) {
			leftAlone.push({name, why: problem});
			continue;
		}
		if (!isDryRun) deleteSnapshot(entry.path);
		removed.push(name);
	}
	return {removed, leftAlone};
}
