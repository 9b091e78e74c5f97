import {createHash} from 'node:crypto';
import {constants as fsConstants} from 'node:fs';
import {link, open, rename, unlink, type FileHandle} from 'node:fs/promises';
import {dirname} from 'node:path';
import {classifyError, CredentialsRefusedError, isCredentialsKind} from '../etcd/errors.js';
import type {SnapshotMessage} from '../etcd/snapshot-response.js';
import {raceAbort} from '../etcd/abort.js';
import {sha256Size} from './file/snapshot-status.js';

export type SaveFailureKind =
	| 'exists'
	| 'part-exists'
	| 'no-directory'
	| 'permission'
	| 'no-space'
	| 'io'
	| 'stream'
	| 'idle-timeout'
	| 'aborted'
	| 'truncated'
	| 'hash-mismatch'
	| 'invalid'
	/** No member could be asked for a snapshot (none answered, or the chosen one did not). */
	| 'no-source'
	/** The snapshot directory is not this user's alone (snapshot-dir.ts checkSnapshotDir). */
	| 'unsafe-directory'
	/** The path is empty. */
	| 'bad-path'
	/** --from names no member, or a name two members share. */
	| 'unknown-member';

/** The input an operator gave that the save cannot use (FILE, --from), and what to do instead. */
export interface SaveInput {
	readonly input: string;
	readonly fix: string;
}

/**
 * Why a save failed, in words for an operator; by the time it is thrown no FILE and no FILE.part remain.
 * When `input` is set the operator's own input is the problem: a command reports it as bad usage (exit 3),
 * the Snapshots pane as a failed save.
 */
export class SnapshotSaveError extends Error {
	override readonly name = 'SnapshotSaveError';
	/** The signal that interrupted the save, when one did: the command exits 128 + its number. */
	readonly interruptedBy: NodeJS.Signals | undefined;
	/** The message without the fix. */
	readonly problem: string;
	readonly input: SaveInput | undefined;
	constructor(
		readonly kind: SaveFailureKind,
		message: string,
		options?: {cause?: unknown; interruptedBy?: NodeJS.Signals; input?: SaveInput},
	) {
		super(options?.input ? `${message} (${options.input.fix})` : message, options?.cause === undefined ? undefined : {cause: options.cause});
		this.interruptedBy = options?.interruptedBy;
		this.problem = message;
		this.input = options?.input;
	}
}

export interface SaveProgress {
	/** Database bytes received so far. */
	readonly received: number;
	/** Database bytes in all, known from the first message. */
	readonly total: number | undefined;
}

/** The verified stream, as written to FILE.part: database bytes, then etcd's sha256 of them. */
export interface SavedStream {
	readonly dbSize: number;
	readonly fileSize: number;
	/** etcd's sha256 of the database bytes (without the trailer): what etcd sent last and the file ends with. */
	readonly etcdSha256: string;
	/** sha256 of the whole file as written, what `sha256sum FILE` prints (of the ciphertext for FILE.age). */
	readonly fileSha256: string;
}

/** A small file committed with the snapshot (its manifest), written and renamed the same careful way. */
export interface Sidecar {
	readonly path: string;
	readonly content: string;
}

export interface SaveSnapshotOptions {
	readonly path: string;
	readonly isOverwriting: boolean;
	/** Abort when the member sends no bytes for this long: etcd sets no deadline and a hung member never ends the stream. */
	readonly idleTimeoutMs: number;
	readonly signal?: AbortSignal;
	readonly onProgress?: (progress: SaveProgress) => void;
	/**
	 * Runs on the complete, synced FILE.part before anything is renamed; it may inspect the file and return
	 * sidecar files to commit with it. Throwing fails the save like any other error.
	 */
	readonly beforeCommit?: (partPath: string, stream: SavedStream) => Promise<readonly Sidecar[]>;
	/** Encrypts on the way to the disk (an AgeEncryptor): FILE.part only ever holds ciphertext. */
	readonly encryptor?: StreamEncryptor;
}

export interface StreamEncryptor {
	push(data: Buffer, emit: (bytes: Buffer) => void): void;
	end(emit: (bytes: Buffer) => void): void;
}

export interface SaveResult extends SavedStream {
	readonly path: string;
	readonly sidecars: readonly string[];
	readonly elapsedMs: number;
}

export type OpenSnapshotStream = (signal: AbortSignal) => AsyncIterable<SnapshotMessage>;

/** Bytes gathered before each write: etcd sends 32 KiB messages, and one write per message costs more than the disk. */
const writeBatchBytes = 1 << 20;

/**
 * Written bytes after which a data sync starts in the background while the stream goes on. The final fsync
 * then has at most this much (plus what arrived during the last sync) left to flush, instead of the whole
 * file: on a 282 MB snapshot that was ~0.3 s of waiting after the last byte arrived.
 */
const backgroundSyncBytes = 32 << 20;

export function partPathOf(path: string): string {
	return `${path}.part`;
}

/**
 * Streams a snapshot into FILE.part (mode 0600), hashing the database bytes as they pass and checking them
 * against the sha256 etcd sends last; the file keeps that trailer, as `etcdctl snapshot save` does, so
 * `etcdctl snapshot restore` verifies it too. Then fsync, rename (no-clobber unless overwriting) and fsync
 * of the directory. Any failure removes what this call created and throws a SnapshotSaveError.
 */
export async function saveSnapshot(openStream: OpenSnapshotStream, options: SaveSnapshotOptions): Promise<SaveResult> {
	const started = Date.now();
	const {path, isOverwriting} = options;
	const partPath = partPathOf(path);
	const controller = new AbortController();
	const onOuterAbort = () => {
		const reason: unknown = options.signal?.reason;
		controller.abort(reason instanceof SnapshotSaveError ? reason : new SnapshotSaveError('aborted', `the save was interrupted; ${path} was not written`));
	};
	if (options.signal?.aborted) onOuterAbort();
	options.signal?.addEventListener('abort', onOuterAbort, {once: true});
	const idleTimer = setTimeout(() => {
		const seconds = (options.idleTimeoutMs / 1000).toFixed(1).replace(/\.0$/, '');
		controller.abort(new SnapshotSaveError('idle-timeout', `the member sent no data for ${seconds}s (hung or overloaded?); the save was abandoned`));
	}, options.idleTimeoutMs);

	const created: string[] = [];
	let handle: FileHandle | undefined;
	try {
		if (!isOverwriting && (await exists(path))) {
			throw new SnapshotSaveError('exists', `${path} already exists (use --overwrite to replace it)`);
		}
		handle = await createPart(partPath);
		created.push(partPath);
		const stream = await receive(openStream, handle, controller.signal, idleTimer, options.onProgress, options.encryptor);
		// The member's part is done: a slow fsync of a large file is not a hung member.
		clearTimeout(idleTimer);
		controller.signal.throwIfAborted();

		// The disk flushes the database's last bytes while beforeCommit reads it back from the page cache.
		const databaseSynced = handle.sync();
		databaseSynced.catch(() => undefined);
		const sidecars = await (async () => {
			try {
				return (await options.beforeCommit?.(partPath, stream)) ?? [];
			} finally {
				// Never left running past a failure: cleanup closes and unlinks the file it is flushing.
				await databaseSynced.catch(() => undefined);
			}
		})();
		await databaseSynced;
		controller.signal.throwIfAborted();
		const sidecarHandles: FileHandle[] = [];
		try {
			for (const sidecar of sidecars) {
				const sidecarPart = partPathOf(sidecar.path);
				const sidecarHandle = await createPart(sidecarPart, true);
				sidecarHandles.push(sidecarHandle);
				created.push(sidecarPart);
				await sidecarHandle.writeFile(sidecar.content);
			}
			await Promise.all(sidecarHandles.map(async sidecarHandle => sidecarHandle.sync()));
		} finally {
			for (const sidecarHandle of sidecarHandles) await sidecarHandle.close().catch(() => undefined);
		}
		await handle.close();
		handle = undefined;
		controller.signal.throwIfAborted();

		// The database first: a snapshot without its manifest misleads less than a manifest without its snapshot.
		await commit(partPath, path, isOverwriting);
		created.splice(created.indexOf(partPath), 1, path);
		for (const sidecar of sidecars) {
			await rename(partPathOf(sidecar.path), sidecar.path);
			created.splice(created.indexOf(partPathOf(sidecar.path)), 1, sidecar.path);
		}
		await syncDirectory(dirname(path));
		return {...stream, path, sidecars: sidecars.map(sidecar => sidecar.path), elapsedMs: Date.now() - started};
	} catch (error) {
		await handle?.close().catch(() => undefined);
		for (const file of created) await unlink(file).catch(() => undefined);
		if (created.length > 0) await syncDirectory(dirname(path)).catch(() => undefined);
		throw toSaveError(controller.signal.aborted ? controller.signal.reason : error, partPath);
	} finally {
		clearTimeout(idleTimer);
		options.signal?.removeEventListener('abort', onOuterAbort);
		if (!controller.signal.aborted) controller.abort(new SnapshotSaveError('aborted', 'finished'));
	}
}

async function receive(
	openStream: OpenSnapshotStream,
	handle: FileHandle,
	signal: AbortSignal,
	idleTimer: NodeJS.Timeout,
	onProgress: ((progress: SaveProgress) => void) | undefined,
	encryptor: StreamEncryptor | undefined,
): Promise<SavedStream> {
	const verifier = new StreamVerifier();
	// The received buffers themselves are gathered (gRPC hands each message its own) and written with one
	// writev per MiB: no copy, one system call per ~32 messages, and at most a MiB held, however large the file.
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	let unsyncedBytes = 0;
	let backgroundSync: Promise<void> | undefined;
	let syncFailure: {error: unknown} | undefined;
	const flush = async () => {
		if (syncFailure) throw syncFailure.error;
		const pieces = pending;
		unsyncedBytes += pendingBytes;
		pending = [];
		pendingBytes = 0;
		while (pieces.length > 0) {
			let {bytesWritten} = await handle.writev(pieces);
			// A short write resumes where it stopped.
			while (pieces.length > 0 && bytesWritten >= pieces[0]!.length) bytesWritten -= pieces.shift()!.length;
			if (bytesWritten > 0) pieces[0] = pieces[0]!.subarray(bytesWritten);
		}
		if (unsyncedBytes >= backgroundSyncBytes && !backgroundSync) {
			unsyncedBytes = 0;
			// Its failure (EIO, ENOSPC on some filesystems) is the save's: thrown by the next flush or at the end.
			backgroundSync = handle.datasync().then(
				() => (backgroundSync = undefined),
				error => {
					syncFailure ??= {error};
					backgroundSync = undefined;
				},
			);
		}
	};
	const settleBackgroundSync = async () => {
		await backgroundSync;
		if (syncFailure) throw syncFailure.error;
	};
	const emitted: Buffer[] = [];
	const emit = (bytes: Buffer) => emitted.push(bytes);
	// A plain file is the stream itself, whose hash the verifier carries on past the database; ciphertext
	// is hashed as it is written.
	const written = encryptor ? createHash('sha256') : undefined;
	const put = async (pieces: readonly Buffer[]) => {
		for (const piece of pieces) {
			if (piece.length === 0) continue;
			written?.update(piece);
			pending.push(piece);
			pendingBytes += piece.length;
			if (pendingBytes >= writeBatchBytes || pending.length >= 1024) {
				await flush();
				// Time spent waiting for a slow disk is not the member's silence.
				idleTimer.refresh();
			}
		}
	};

	const iterator = openStream(signal)[Symbol.asyncIterator]();
	try {
		for (;;) {
			// Raced with the signal, so even a source that ignores it cannot keep the save waiting.
			const next = await raceAbort(iterator.next(), signal);
			if (next.done) break;
			const {blob, remainingBytes} = next.value;
			if (blob.length === 0) continue;
			idleTimer.refresh();
			verifier.accept(blob, remainingBytes);
			// The whole blob, trailer included: the file must be byte-for-byte what etcdctl writes.
			if (encryptor) {
				encryptor.push(blob, emit);
				await put(emitted.splice(0));
			} else {
				await put([blob]);
			}
			onProgress?.(verifier.progress);
		}
	} catch (error) {
		// The caller closes and removes the file next: no sync may still be running on it.
		await settleBackgroundSync().catch(() => undefined);
		throw error;
	} finally {
		void Promise.resolve(iterator.return?.()).catch(() => undefined);
	}
	if (encryptor && verifier.progress.total !== undefined) {
		encryptor.end(emit);
		await put(emitted.splice(0));
	}
	await flush();
	await settleBackgroundSync();
	const {dbSize, etcdSha256, streamSha256} = verifier.finish();
	const fileSize = encryptor ? (await handle.stat()).size : dbSize + sha256Size;
	return {dbSize, fileSize, etcdSha256, fileSha256: written ? written.digest('hex') : streamSha256};
}

/**
 * The checks on etcd's snapshot stream, message by message, wherever its bytes go (a file, an upload): the
 * announced size, byte counts that agree, and at the end etcd's sha256 of the database bytes. `onData` sees
 * the database bytes only (not the trailer), in order.
 */
export class StreamVerifier {
	private readonly hash = createHash('sha256');
	private readonly trailer: Buffer[] = [];
	private trailerBytes = 0;
	private total: number | undefined;
	private received = 0;

	constructor(private readonly onData?: (data: Buffer) => void) {}

	get progress(): SaveProgress {
		return {received: this.received, total: this.total};
	}

	/** One message's blob and remaining_bytes; throws a SnapshotSaveError when the stream contradicts itself. */
	accept(blob: Buffer, remainingBytes: number): void {
		if (blob.length === 0) return;
		if (this.total === undefined) {
			if (!Number.isSafeInteger(remainingBytes) || remainingBytes < 0) {
				throw new SnapshotSaveError('invalid', `the member announced an impossible size (${remainingBytes} bytes remaining)`);
			}
			this.total = remainingBytes + blob.length;
		}
		const dataPart = Math.min(blob.length, this.total - this.received);
		if (dataPart > 0) {
			const data = dataPart === blob.length ? blob : blob.subarray(0, dataPart);
			this.hash.update(data);
			this.onData?.(data);
			this.received += dataPart;
			if (dataPart === blob.length && remainingBytes !== this.total - this.received) {
				throw new SnapshotSaveError('invalid', `the member's byte counts disagree (${remainingBytes} remaining after ${this.received} of ${this.total})`);
			}
		}
		if (dataPart < blob.length) {
			this.trailerBytes += blob.length - dataPart;
			if (this.trailerBytes > sha256Size) {
				throw new SnapshotSaveError('invalid', `the member sent ${this.trailerBytes} bytes after the database, where etcd sends a ${sha256Size}-byte sha256`);
			}
			this.trailer.push(blob.subarray(dataPart));
		}
	}

	/**
	 * After the last message: the database size, etcd's sha256 of it, and the sha256 of the whole stream
	 * (database and trailer: the plain file's own sha256), or a SnapshotSaveError when they are not whole.
	 */
	finish(): {dbSize: number; etcdSha256: string; streamSha256: string} {
		if (this.total === undefined) throw new SnapshotSaveError('truncated', 'the member closed the stream without sending any data');
		if (this.received < this.total) throw new SnapshotSaveError('truncated', `the stream ended after ${this.received} of ${this.total} bytes`);
		if (this.trailerBytes < sha256Size) {
			throw new SnapshotSaveError('truncated', `the stream ended without etcd's sha256 checksum (${this.trailerBytes} of ${sha256Size} bytes)`);
		}
		const trailer = Buffer.concat(this.trailer);
		const expected = trailer.toString('hex');
		// The state after the database, carried on over the trailer: the whole stream's hash for free.
		const stream = this.hash.copy().update(trailer);
		const actual = this.hash.digest('hex');
		if (expected !== actual) {
			throw new SnapshotSaveError('hash-mismatch', `sha256 mismatch: the data received hashes to ${actual}, etcd sent ${expected}; the snapshot was discarded`);
		}
		return {dbSize: this.total, etcdSha256: actual, streamSha256: stream.digest('hex')};
	}
}

async function createPart(partPath: string, isReplacing = false): Promise<FileHandle> {
	// A sidecar's part left by a crashed save is ours to replace (this save holds FILE.part): it is
	// unlinked, never truncated, so a link planted in its place is removed rather than followed.
	if (isReplacing) await unlink(partPath).catch(() => undefined);
	try {
		// O_EXCL: a FILE.part we did not create is another save in progress (or a crashed one), not ours to
		// clobber; with O_CREAT it also refuses a symbolic link, so nothing is written through one.
		const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
		const handle = await open(partPath, flags, 0o600);
		await handle.chmod(0o600);
		return handle;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
			throw new SnapshotSaveError('part-exists', `${partPath} already exists: another save is running, or one crashed (remove it if none is running)`);
		}
		throw error;
	}
}

async function commit(partPath: string, path: string, isOverwriting: boolean): Promise<void> {
	if (isOverwriting) {
		await rename(partPath, path);
		return;
	}
	// link() fails when the target exists, so a FILE that appeared during the save is never replaced.
	try {
		await link(partPath, path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') throw new SnapshotSaveError('exists', `${path} appeared during the save and was left alone (use --overwrite to replace it)`);
		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
		// Some filesystems have no hard links: check, then rename, accepting the small race.
		if (await exists(path)) throw new SnapshotSaveError('exists', `${path} appeared during the save and was left alone (use --overwrite to replace it)`);
		await rename(partPath, path);
		return;
	}
	await unlink(partPath);
}

async function syncDirectory(directory: string): Promise<void> {
	const handle = await open(directory, fsConstants.O_RDONLY);
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}

async function exists(path: string): Promise<boolean> {
	try {
		const handle = await open(path, fsConstants.O_RDONLY);
		await handle.close();
		return true;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') return false;
		if (code === 'EACCES' || code === 'EISDIR') return true;
		throw error;
	}
}

/**
 * Any error -> SnapshotSaveError whose message names the file and the cause in an operator's words, or a
 * CredentialsRefusedError when etcd refused the user or password (the operator's to fix, as for every command).
 */
function toSaveError(error: unknown, partPath: string): SnapshotSaveError | CredentialsRefusedError {
	if (error instanceof SnapshotSaveError || error instanceof CredentialsRefusedError) return error;
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	const syscallPath = (error as NodeJS.ErrnoException | undefined)?.path ?? partPath;
	switch (code) {
		case 'ENOSPC':
		case 'EDQUOT':
			return new SnapshotSaveError('no-space', `no space left on the device writing ${syscallPath}; the partial snapshot was removed`, {cause: error});
		case 'EACCES':
		case 'EPERM':
			return new SnapshotSaveError('permission', `permission denied writing ${syscallPath}`, {cause: error});
		case 'EROFS':
			return new SnapshotSaveError('permission', `${syscallPath} is on a read-only file system`, {cause: error});
		case 'ENOENT':
			return new SnapshotSaveError('no-directory', `the directory of ${syscallPath} does not exist`, {cause: error});
		case 'EISDIR':
			return new SnapshotSaveError('io', `${syscallPath} is a directory`, {cause: error});
		case 'EIO':
			return new SnapshotSaveError('io', `I/O error writing ${syscallPath}`, {cause: error});
		default:
			break;
	}
	if (code !== undefined && typeof code === 'string' && code.startsWith('E') && !/^ERR_/.test(code)) {
		return new SnapshotSaveError('io', `${(error as Error).message}`, {cause: error});
	}
	const failure = classifyError(error);
	if (isCredentialsKind(failure.kind)) return new CredentialsRefusedError(failure);
	return new SnapshotSaveError('stream', `the snapshot stream failed (${failure.kind}): ${failure.message}`, {cause: error});
}
