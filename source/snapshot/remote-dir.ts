import {constants as fsConstants} from 'node:fs';
import {link, lstat, mkdtemp, open, rename, rm, unlink} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import type {S3Store} from '../s3/client.js';
import {S3Error} from '../s3/errors.js';
import {manifestPathOf, maxManifestBytes, parseManifest, serializeManifest, type SnapshotManifest} from './file/manifest.js';
import {baseNameOfKey, isSnapshotKey, prefixOfKey, s3UrlOf, type S3Location} from './remote-name.js';
import {claimProblem, ManifestDigest, type LeftAlone, type RetentionOutcome} from './owned-file.js';
import {chooseDeletions, type RetentionPolicy} from '../model/retention.js';
import type {SnapshotStatus} from './file/snapshot-status.js';
import type {SnapshotEntry} from '../model/snapshot-entry.js';
import {DecryptKeyError, NoDecryptKeyError, verifySnapshotFile, type DecryptKeys} from './file/verify.js';

// Snapshots in a bucket, as the local snapshot directory has them: listed with their manifests, pruned by
// the same retention rule, and fetched back to a file the same careful way a save writes one.

export interface RemoteSnapshotEntry {
	readonly bucket: string;
	readonly key: string;
	/** The key's last segment. */
	readonly name: string;
	readonly url: string;
	readonly fileSize: number;
	readonly modifiedAt: number;
	readonly isEncrypted: boolean;
	/** KEY.meta.json, when etcdtop wrote the object (its sha256 was checked before the upload completed). */
	readonly manifest: SnapshotManifest | undefined;
}

function manifestOf(text: string | undefined): SnapshotManifest | undefined {
	return text === undefined ? undefined : parseManifest(text);
}

export function remoteCreatedAt(entry: RemoteSnapshotEntry): number {
	const fromManifest = entry.manifest ? Date.parse(entry.manifest.createdAt) : Number.NaN;
	return Number.isFinite(fromManifest) ? fromManifest : entry.modifiedAt;
}

/** Runs `work` over `items`, `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array<R>(items.length);
	let next = 0;
	await Promise.all(
		Array.from({length: Math.min(limit, items.length)}, async () => {
			while (next < items.length) {
				const index = next++;
				results[index] = await work(items[index]!);
			}
		}),
	);
	return results;
}

/** Snapshot objects under a prefix (all levels), newest first, each with its manifest when there is one. */
export async function listRemoteSnapshots(store: S3Store, location: S3Location): Promise<RemoteSnapshotEntry[]> {
	const objects = await store.list(location.bucket, location.key);
	const keys = new Set(objects.map(object => object.key));
	const snapshots = objects.filter(object => isSnapshotKey(object.key));
	const entries = await mapLimit(snapshots, 8, async object => ({
		bucket: location.bucket,
		key: object.key,
		name: baseNameOfKey(object.key),
		url: s3UrlOf({bucket: location.bucket, key: object.key}),
		fileSize: object.size,
		modifiedAt: object.lastModified,
		isEncrypted: object.key.endsWith('.age'),
		manifest: keys.has(manifestPathOf(object.key)) ? await listedManifest(store, location.bucket, manifestPathOf(object.key)) : undefined,
	}));
	return entries.sort((a, b) => remoteCreatedAt(b) - remoteCreatedAt(a) || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
}

/** A listed object's manifest: one larger than a manifest may be vouches for nothing, as in a directory (the rest is still listed). */
async function listedManifest(store: S3Store, bucket: string, key: string): Promise<SnapshotManifest | undefined> {
	try {
		return manifestOf(await store.getText(bucket, key, maxManifestBytes));
	} catch (error) {
		if (error instanceof S3Error && error.kind === 'too-large') return undefined;
		throw error;
	}
}

/** The manifest of one object, or undefined; S3Error 'too-large' when it is larger than a manifest may be. */
export async function readRemoteManifest(store: S3Store, location: S3Location): Promise<SnapshotManifest | undefined> {
	return manifestOf(await store.getText(location.bucket, manifestPathOf(location.key), maxManifestBytes));
}

/** The object's bytes streamed through its manifest's hashes; undefined when it is the object etcdtop wrote, else why not. */
async function remoteMismatchOf(store: S3Store, bucket: string, key: string, manifest: SnapshotManifest): Promise<string | undefined> {
	const digest = new ManifestDigest(manifest);
	const {body} = await store.getStream(bucket, key);
	for await (const chunk of body as AsyncIterable<Buffer>) digest.update(chunk);
	return digest.problem();
}

/**
 * Retention in a bucket: the snapshots etcdtop wrote, each "directory" (one cluster's PREFIX/<cluster-id>/)
 * on its own, never the newest verified one. An object is etcdtop's only when its manifest names it and it
 * has the recorded size (from the listing) and sha256 (the object is read through sha256 before it is
 * removed: one download per removal); every other object with a manifest is left and reported. Removes
 * each snapshot, then its manifest. `removed` holds URLs (with isDryRun: what would be removed).
 */
export async function applyRemoteRetention(
	store: S3Store,
	location: S3Location,
	policy: number | RetentionPolicy,
	{isDryRun = false, failed = new Set<string>()}: {isDryRun?: boolean; failed?: ReadonlySet<string>} = {},
): Promise<RetentionOutcome> {
	const leftAlone: LeftAlone[] = [];
	const byDirectory = new Map<string, RemoteSnapshotEntry[]>();
	for (const entry of await listRemoteSnapshots(store, location)) {
		if (!entry.manifest) continue;
		const problem = claimProblem(entry.manifest, entry.name, entry.fileSize);
		if (problem) {
			leftAlone.push({name: entry.url, why: problem});
			continue;
		}
		const directory = prefixOfKey(entry.key);
		byDirectory.set(directory, [...(byDirectory.get(directory) ?? []), entry]);
	}
	const removed: string[] = [];
	for (const entries of byDirectory.values()) {
		const doomed = chooseDeletions(entries.map(entry => ({name: entry.key, createdAt: remoteCreatedAt(entry), isVerified: !failed.has(entry.key)})), policy);
		for (const key of doomed) {
			const entry = entries.find(candidate => candidate.key === key)!;
			const problem = await remoteMismatchOf(store, location.bucket, key, entry.manifest!);
			if (problem) {
				leftAlone.push({name: entry.url, why: problem});
				continue;
			}
			if (!isDryRun) {
				await store.delete(location.bucket, key);
				await store.delete(location.bucket, manifestPathOf(key));
			}
			removed.push(entry.url);
		}
	}
	return {removed, leftAlone};
}

export interface FetchResult {
	readonly path: string;
	readonly status: SnapshotStatus;
	readonly manifest: SnapshotManifest | undefined;
	readonly bytes: number;
}

/** Why a fetch failed; with `input` the operator's FILE or key is the problem (a command reports bad usage). */
export class FetchError extends Error {
	override readonly name = 'FetchError';
	constructor(
		message: string,
		options?: {cause?: unknown; input?: {readonly input: string; readonly fix: string}; isPartTaken?: boolean},
	) {
		super(message, options?.cause === undefined ? undefined : {cause: options.cause});
		this.input = options?.input;
		this.isPartTaken = options?.isPartTaken ?? false;
	}
	readonly input: {readonly input: string; readonly fix: string} | undefined;
	/** FILE.part was there before this fetch: it is left as found. */
	readonly isPartTaken: boolean;
}

function partExists(partPath: string): FetchError {
	return new FetchError(`${partPath} already exists: another fetch is running, or one crashed`, {input: {input: 'FILE', fix: 'remove it if none is running'}, isPartTaken: true});
}

/**
 * Downloads an object into `partPath` (created 0600, never an existing file), checking its length and the
 * manifest's sha256 on the bytes as they arrive. Throws FetchError (or S3Error); the caller removes partPath.
 */
export async function downloadObject(store: S3Store, location: S3Location, partPath: string, signal?: AbortSignal): Promise<{readonly manifest: SnapshotManifest | undefined; readonly bytes: number}> {
	const manifest = await readRemoteManifest(store, location);
	const {body} = await store.getStream(location.bucket, location.key, signal);
	let handle;
	try {
		handle = await open(partPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
	} catch (error) {
		// Another fetch's part, or something planted there (a link, a FIFO): not ours to write through or remove.
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw partExists(partPath);
		throw error;
	}
	// The manifest's sha256 is checked on the bytes as they arrive (an older manifest's etcd hash only on a plain file).
	const isCheckable = manifest !== undefined && (manifest.etcdSha256 !== undefined || (manifest.encryption === undefined && !location.key.endsWith('.age')));
	const digest = isCheckable ? new ManifestDigest(manifest) : undefined;
	let bytes = 0;
	try {
		for await (const chunk of body as AsyncIterable<Buffer>) {
			signal?.throwIfAborted();
			for (let written = 0; written < chunk.length; ) written += (await handle.write(chunk, written)).bytesWritten;
			digest?.update(chunk);
			bytes += chunk.length;
		}
		await handle.sync();
	} catch (error) {
		if (error instanceof S3Error) throw error;
		throw new FetchError(`downloading ${s3UrlOf(location)} failed after ${bytes} bytes: ${(error as Error).message}`, {cause: error});
	} finally {
		await handle.close();
	}
	if (manifest && manifest.fileSize !== bytes) {
		throw new FetchError(`${s3UrlOf(location)} is ${bytes} bytes but its manifest says ${manifest.fileSize}: the object changed after etcdtop wrote it`);
	}
	const mismatch = digest?.problem();
	if (mismatch) throw new FetchError(`${s3UrlOf(location)}: ${mismatch}`);
	return {manifest, bytes};
}

/**
 * Downloads an object into `partPath` (created 0600, never an existing file), then checks it as `snapshot
 * status` does: bbolt structure and etcd's sha256 trailer (through the age decryptor for an encrypted one,
 * in memory), and against its manifest's sha256. Throws FetchError (or S3Error) when it is not sound; the
 * caller removes partPath.
 */
async function downloadAndVerify(store: S3Store, location: S3Location, partPath: string, keys: DecryptKeys, signal?: AbortSignal): Promise<Omit<FetchResult, 'path'>> {
	const {manifest, bytes} = await downloadObject(store, location, partPath, signal);
	let status: SnapshotStatus;
	try {
		status = await verifySnapshotFile(partPath, keys);
	} catch (error) {
		if (error instanceof NoDecryptKeyError) throw new FetchError(`${s3UrlOf(location)} is encrypted: it cannot be checked without its key`, {input: {input: '--identity', fix: 'give --identity FILE or set ETCDTOP_SNAPSHOT_PASSPHRASE'}});
		if (error instanceof DecryptKeyError) throw new FetchError(`${s3UrlOf(location)}: ${error.message.replace(/^[^:]*: /, '')}`, {input: {input: '--identity', fix: 'give the identity file it was encrypted to, or its passphrase in ETCDTOP_SNAPSHOT_PASSPHRASE'}});
		throw new FetchError(`${s3UrlOf(location)} cannot be read as a snapshot: ${(error as Error).message}`, {cause: error});
	}
	return {status, manifest, bytes};
}

function problemsOf(url: string, status: SnapshotStatus, _manifest: SnapshotManifest | undefined): string | undefined {
	if (status.problemCount > 0) return `${url} fails its integrity check: ${status.problems.slice(0, 3).join('; ')}`;
	if (status.sha256 === 'mismatch') return `${url}: the sha256 trailer does not match the database bytes`;
	return undefined;
}

/**
 * `snapshot fetch s3://B/KEY FILE`: download to FILE.part, verify, then rename into place (no-clobber unless
 * overwriting) with FILE.meta.json beside it. A failure leaves neither FILE nor FILE.part.
 */
export async function fetchSnapshot(store: S3Store, location: S3Location, file: string, options: {isOverwriting: boolean; keys: DecryptKeys; signal?: AbortSignal}): Promise<FetchResult> {
	const path = resolve(file);
	const partPath = `${path}.part`;
	const url = s3UrlOf(location);
	let created = false;
	try {
		// lstat, not open: opening a FIFO planted there would block for ever.
		const isTaken = await lstat(partPath).then(
			() => true,
			(error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
		);
		if (isTaken) throw partExists(partPath);
		created = true;
		let result;
		try {
			result = await downloadAndVerify(store, location, partPath, options.keys, options.signal);
		} catch (error) {
			if (error instanceof FetchError && error.isPartTaken) created = false;
			throw error;
		}
		const problem = problemsOf(url, result.status, result.manifest);
		if (problem) throw new FetchError(problem);
		if (options.isOverwriting) {
			await rename(partPath, path);
		} else {
			try {
				await link(partPath, path);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FetchError(`${path} already exists`, {input: {input: 'FILE', fix: 'use --overwrite to replace it, or choose another name'}});
				throw error;
			}
			await unlink(partPath);
		}
		created = false;
		if (result.manifest) {
			const manifestPart = `${manifestPathOf(path)}.part`;
			// Ours to replace if a crashed fetch left it; unlinked, never truncated, so a planted link is not followed.
			await unlink(manifestPart).catch(() => undefined);
			const handle = await open(manifestPart, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o600);
			try {
				await handle.writeFile(serializeManifest(result.manifest));
				await handle.sync();
			} finally {
				await handle.close();
			}
			await rename(manifestPart, manifestPathOf(path));
		}
		const directory = await open(dirname(path), fsConstants.O_RDONLY);
		await directory.sync().finally(async () => directory.close());
		return {...result, path};
	} finally {
		if (created) await unlink(partPath).catch(() => undefined);
	}
}

/** `snapshot status s3://B/KEY`: the object downloaded into a private temporary directory, checked, removed. */
export async function remoteSnapshotStatus(store: S3Store, location: S3Location, keys: DecryptKeys): Promise<Omit<FetchResult, 'path'>> {
	const directory = await mkdtemp(join(tmpdir(), 'etcdtop-status-'));
	try {
		return await downloadAndVerify(store, location, join(directory, baseNameOfKey(location.key) || 'snapshot.db'), keys);
	} finally {
		await rm(directory, {recursive: true, force: true});
	}
}

/** An object as the console's Snapshots pane lists it: its key under the pane's prefix is its name. */
export function paneEntryOf(entry: RemoteSnapshotEntry, prefix: string): SnapshotEntry {
	const name = entry.key.startsWith(prefix) && entry.key.length > prefix.length ? entry.key.slice(prefix.length) : entry.key;
	return {
		name,
		path: entry.url,
		fileSize: entry.fileSize,
		modifiedAt: entry.modifiedAt,
		isEncrypted: entry.isEncrypted,
		manifest: entry.manifest,
		remote: {bucket: entry.bucket, key: entry.key, url: entry.url},
	};
}

/** The object downloaded into a private temporary directory (for a check in a worker); `remove` deletes both. */
export async function downloadToPrivateFile(store: S3Store, location: S3Location, signal?: AbortSignal): Promise<{readonly path: string; readonly manifest: SnapshotManifest | undefined; remove(): Promise<void>}> {
	const directory = await mkdtemp(join(tmpdir(), 'etcdtop-verify-'));
	const remove = async () => rm(directory, {recursive: true, force: true});
	try {
		const path = join(directory, baseNameOfKey(location.key) || 'snapshot.db');
		const {manifest} = await downloadObject(store, location, path, signal);
		return {path, manifest, remove};
	} catch (error) {
		await remove();
		throw error;
	}
}

/** Deletes a snapshot object, then its manifest (a manifest without its object would list as nothing). */
export async function deleteRemoteSnapshot(store: S3Store, location: S3Location): Promise<void> {
	await store.delete(location.bucket, location.key);
	await store.delete(location.bucket, manifestPathOf(location.key));
}
