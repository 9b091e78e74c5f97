import {createHash} from 'node:crypto';
import {Readable} from 'node:stream';
import {classifyError, CredentialsRefusedError, isCredentialsKind} from '../etcd/errors.js';
import {S3Error} from '../s3/errors.js';
import type {S3Store} from '../s3/client.js';
import {AgeEncryptor} from './file/age.js';
import {chooseClusterSource, defaultIdleTimeoutMs, encryptionOf, interruptingSignals, type ClusterSaveOptions, type ClusterSaveTarget} from './cluster-save.js';
import {buildManifest, manifestPathOf, serializeManifest, type SnapshotManifest} from './file/manifest.js';
import {isPrefixLocation, remoteSnapshotKey, s3UrlOf, type S3Location} from './remote-name.js';
import {SnapshotSaveError, StreamVerifier, type SaveProgress} from './save.js';
import {sha256Size} from './file/snapshot-status.js';
import {StreamingDbSummarizer} from './stream-summary.js';

// A save from a live cluster straight into S3: etcd's stream -> sha256 and structure check -> optional age
// encryption -> multipart upload. Nothing touches the local disk. The upload's body ends only after etcd's
// sha256 matched, and lib-storage completes the object only when its body ends: a failed check fails the
// body, which aborts the multipart upload, so no object and no parts are left.

export type RemoteSaveOptions = Omit<ClusterSaveOptions, 'isCreatingDirectory'> & {
	/** Test hook and tuning: bytes per multipart part. */
	readonly partSize?: number;
	readonly now?: () => Date;
};

export interface RemoteSaveResult {
	readonly location: S3Location;
	readonly url: string;
	readonly manifestKey: string;
	readonly manifest: SnapshotManifest;
	readonly fileSize: number;
	/** sha256 of the object as stored (what `sha256sum` prints of a download). */
	readonly fileSha256: string;
	/** etcd's sha256 of the database bytes. */
	readonly etcdSha256: string;
	readonly elapsedMs: number;
	readonly member: {readonly name: string; readonly id: string};
}

export async function saveToS3(config: ClusterSaveTarget, target: S3Location, store: S3Store, options: RemoteSaveOptions): Promise<RemoteSaveResult> {
	const started = Date.now();
	const {member, endpoint, status, list, client} = await chooseClusterSource(config, options);
	const encryptor = options.recipients && options.recipients.length > 0 ? new AgeEncryptor(options.recipients) : undefined;
	const createdAt = options.now?.() ?? new Date();
	// The key is fixed before the first byte is sent: it carries the revision the member reported just
	// before the stream (the manifest has the snapshot's own, which is that or a little later).
	let key = isPrefixLocation(target) ? remoteSnapshotKey(target.key, status.clusterId, createdAt, status.revision, encryptor !== undefined) : target.key;
	if (encryptor && !key.endsWith('.age')) key = `${key}.age`;
	const location = {bucket: target.bucket, key};
	const url = s3UrlOf(location);
	try {
		await store.checkBucket(location.bucket);
		if (!options.isOverwriting && (await store.head(location.bucket, key))) {
			throw new SnapshotSaveError('exists', `${url} already exists`, {input: {input: 'FILE', fix: 'use --overwrite to replace it, or give a prefix (ending in /) for a new timestamped name'}});
		}
	} catch (error) {
		client.close();
		throw error;
	}

	const controller = new AbortController();
	const onOuterAbort = () => controller.abort(new SnapshotSaveError('aborted', `the save was interrupted; ${url} was not written`));
	const onSignal = (signal: NodeJS.Signals) =>
		controller.abort(new SnapshotSaveError('aborted', `interrupted by ${signal}: the multipart upload was aborted and ${url} was not written`, {interruptedBy: signal}));
	const outer = options.signal;
	if (outer?.aborted) onOuterAbort();
	outer?.addEventListener('abort', onOuterAbort, {once: true});
	if (!outer) for (const signal of interruptingSignals) process.once(signal, onSignal);
	const idleTimeoutMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs;
	const summarizer = new StreamingDbSummarizer();
	const verifier = new StreamVerifier(data => summarizer.push(data));
	let uploadedBytes = 0;
	// Ciphertext is hashed as it goes up; a plain object is the stream, whose hash the verifier keeps.
	const uploaded = encryptor ? createHash('sha256') : undefined;
	let finished: ReturnType<StreamVerifier['finish']> | undefined;
	let summary: ReturnType<StreamingDbSummarizer['finish']> | undefined;

	async function* body(): AsyncGenerator<Buffer> {
		const iterator = client.snapshot(controller.signal)[Symbol.asyncIterator]();
		const emitted: Buffer[] = [];
		const emit = (bytes: Buffer) => emitted.push(bytes);
		try {
			for (;;) {
				// The member's silence is timed only while waiting for it: a slow upload holds the stream back
				// (backpressure), which is not the member hanging.
				const next = await nextWithin(iterator, idleTimeoutMs, controller.signal);
				if (next.done) break;
				const {blob, remainingBytes} = next.value;
				if (blob.length === 0) continue;
				verifier.accept(blob, remainingBytes);
				const out = encryptor ? (encryptor.push(blob, emit), emitted.splice(0)) : [blob];
				for (const piece of out) {
					uploadedBytes += piece.length;
					uploaded?.update(piece);
					yield piece;
				}
				options.onProgress?.(verifier.progress);
			}
			finished = verifier.finish();
			summary = summarizer.finish();
			if (summary.problems.length > 0) {
				throw new SnapshotSaveError('invalid', `the received database fails its structure check: ${summary.problems.slice(0, 3).join('; ')}`);
			}
			if (summary.totalSize !== finished.dbSize) {
				throw new SnapshotSaveError('invalid', `the received database says it spans ${summary.totalSize} bytes but ${finished.dbSize} were sent`);
			}
			if (encryptor) {
				encryptor.end(emit);
				for (const piece of emitted.splice(0)) {
					uploadedBytes += piece.length;
					uploaded?.update(piece);
					yield piece;
				}
			}
		} finally {
			void Promise.resolve(iterator.return?.(undefined)).catch(() => undefined);
		}
	}

	try {
		const stream = Readable.from(body(), {objectMode: false, highWaterMark: 1 << 20});
		await store.upload(location.bucket, key, stream, {signal: controller.signal, ...(options.partSize ? {partSize: options.partSize} : {})});
		if (!finished || !summary) throw new SnapshotSaveError('truncated', 'the upload ended before the snapshot stream did');
		const encryption = options.recipients && options.recipients.length > 0 ? encryptionOf(options.recipients) : undefined;
		const manifest = buildManifest({
			file: key.slice(key.lastIndexOf('/') + 1),
			createdAt,
			endpoint,
			status,
			memberName: member.name,
			members: list.members,
			stream: {dbSize: finished.dbSize, fileSize: encryptor ? uploadedBytes : finished.dbSize + sha256Size, etcdSha256: finished.etcdSha256, fileSha256: uploaded ? uploaded.digest('hex') : finished.streamSha256},
			db: {hash: 0, revision: summary.revision, totalKey: summary.totalKey, totalSize: summary.totalSize, consistentIndex: summary.consistentIndex, pageSize: summary.pageSize, problems: [], problemCount: 0},
			...(encryption ? {encryption} : {}),
		});
		const manifestKey = manifestPathOf(key);
		try {
			await store.putText(location.bucket, manifestKey, serializeManifest(manifest));
		} catch (error) {
			// A snapshot without its manifest is one retention never counts and restore-plan cannot plan: remove it.
			await store.delete(location.bucket, key).catch(() => undefined);
			throw error;
		}
		return {location, url, manifestKey, manifest, fileSize: manifest.fileSize, fileSha256: manifest.sha256, etcdSha256: finished.etcdSha256, elapsedMs: Date.now() - started, member: {name: member.name, id: member.id}};
	} catch (error) {
		if (error instanceof SnapshotSaveError || error instanceof S3Error) throw error;
		if (controller.signal.aborted && controller.signal.reason instanceof SnapshotSaveError) throw controller.signal.reason;
		const failure = classifyError(error);
		// A refused user or password is the operator's to fix, as for a save to a file.
		if (isCredentialsKind(failure.kind)) throw new CredentialsRefusedError(failure);
		throw new SnapshotSaveError('stream', `the snapshot stream failed (${failure.kind}): ${failure.message}`, {cause: error});
	} finally {
		client.close();
		outer?.removeEventListener('abort', onOuterAbort);
		if (!outer) for (const signal of interruptingSignals) process.removeListener(signal, onSignal);
		if (!controller.signal.aborted) controller.abort(new SnapshotSaveError('aborted', 'finished'));
	}
}

/** The iterator's next value, or a SnapshotSaveError when the member sends nothing for `idleMs`. */
async function nextWithin<T>(iterator: AsyncIterator<T>, idleMs: number, signal: AbortSignal): Promise<IteratorResult<T>> {
	signal.throwIfAborted();
	let timer: NodeJS.Timeout | undefined;
	let onAbort: (() => void) | undefined;
	const next = iterator.next();
	next.catch(() => undefined);
	try {
		return await Promise.race([
			next,
			new Promise<never>((_, reject) => {
				timer = setTimeout(() => {
					const seconds = (idleMs / 1000).toFixed(1).replace(/\.0$/, '');
					reject(new SnapshotSaveError('idle-timeout', `the member sent no data for ${seconds}s (hung or overloaded?); the save was abandoned`));
				}, idleMs);
				onAbort = () => reject(signal.reason);
				signal.addEventListener('abort', onAbort, {once: true});
			}),
		]);
	} finally {
		clearTimeout(timer);
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
}

export type {SaveProgress};
