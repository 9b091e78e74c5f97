import {readdirSync, readFileSync, statSync, unlinkSync} from 'node:fs';
import {join} from 'node:path';
import {createdAtOf, type SnapshotEntry, type SnapshotManifest} from '../model/snapshot-entry.js';
import {manifestPathOf} from './file/manifest.js';
import {chooseDeletions, type RetentionPolicy} from './retention.js';
import {compareText} from '../model/order.js';

export {createdAtOf, type SnapshotEntry};

/** A timestamped name for a save without FILE: sorts by time, no characters a shell or Windows dislikes. */
export function snapshotFileName(at: Date, isEncrypted: boolean): string {
	const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
	return `etcd-snapshot-${stamp}.db${isEncrypted ? '.age' : ''}`;
}

function readManifest(path: string): SnapshotManifest | undefined {
	try {
		const parsed = JSON.parse(readFileSync(manifestPathOf(path), 'utf8')) as SnapshotManifest;
		return parsed && parsed.manifestVersion === 1 ? parsed : undefined;
	} catch {
		return undefined;
	}
}

export function readManifestOf(path: string): SnapshotManifest | undefined {
	return readManifest(path);
}

/** Snapshot files in a directory, newest first: every regular file but manifests and unfinished .part files. */
export function listSnapshotDir(directory: string): SnapshotEntry[] {
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
 * --keep N / --keep-policy after a successful save (or `snapshot prune`): among the files etcdtop wrote (those
 * with a manifest) in the directory, removes what the policy does not keep, never the newest verified one.
 * `failed` names files whose verification failed. Returns the names removed (with isDryRun: that would be).
 */
export function applyRetention(directory: string, policy: number | RetentionPolicy, failed: ReadonlySet<string> = new Set(), {isDryRun = false}: {isDryRun?: boolean} = {}): string[] {
	const managed = listSnapshotDir(directory).filter(entry => entry.manifest !== undefined);
	const doomed = chooseDeletions(
		managed.map(entry => ({name: entry.name, createdAt: createdAtOf(entry), isVerified: !failed.has(entry.name)})),
		policy,
	);
	if (!isDryRun) for (const name of doomed) deleteSnapshot(join(directory, name));
	return [...doomed];
}
