import type {Readable} from 'node:stream';
import type {S3Client} from '@aws-sdk/client-s3';
import {S3Error, toS3Error} from './errors.js';

// The one place etcdtop talks to S3. The SDK (several MB of code) is imported here, on first use, so only
// commands that name an s3:// URL pay for loading it: `etcdtop status` never does.

/** Where and how to reach S3; credentials are never here: the SDK's default chain finds them. */
export interface S3Settings {
	/** --s3-endpoint, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; undefined: AWS itself. */
	readonly endpoint: string | undefined;
	/** Path-style addressing (http://host/bucket/key), which MinIO and most S3-compatible stores want. */
	readonly isPathStyle: boolean;
}

export interface S3ObjectInfo {
	readonly key: string;
	readonly size: number;
	/** ms since the epoch. */
	readonly lastModified: number;
}

export interface UploadOptions {
	readonly signal?: AbortSignal;
	/** Bytes the server has accepted so far. */
	readonly onProgress?: (uploaded: number) => void;
	/** Test hook and tuning: bytes per part (minimum 5 MiB). */
	readonly partSize?: number;
}

/** Region used with a custom endpoint when none is configured: S3-compatible stores accept any. */
const fallbackRegion = 'us-east-1';
const partBytes = 5 << 20;
/** Parts in flight: each a buffer of partBytes. 5 MiB x 2 kept a 300 MB streamed save at 175-180 MB peak RSS (8 MiB x 4: 193-203 MB) and no slower on loopback. */
const queueSize = 2;
const abortAttempts = 6;

type Sdk = typeof import('@aws-sdk/client-s3');

/** A CommonJS package's exports: the bundle's split chunks hand them over as `default` only. */
function commonJs<T>(loaded: T): T {
	return ((loaded as {default?: T}).default ?? loaded) as T;
}

export class S3Store {
	private constructor(
		private readonly sdk: Sdk,
		private readonly client: S3Client,
		/** For messages: the endpoint in use, without any credentials. */
		readonly endpointLabel: string,
	) {}

	static async open(settings: S3Settings): Promise<S3Store> {
		// The SDK warns on every run under Node 20 that its releases after January 2027 need Node 22: a
		// notice for whoever upgrades dependencies, not for an operator reading a backup job's output.
		process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
		const sdk = commonJs<Sdk>(await import('@aws-sdk/client-s3'));
		const base = {
			...(settings.endpoint ? {endpoint: settings.endpoint} : {}),
			forcePathStyle: settings.isPathStyle,
			// A wrong endpoint fails in seconds, not after the OS's two-minute connect timeout.
			requestHandler: {connectionTimeout: 5000, requestTimeout: 120_000},
			// Checksums only where S3 requires them: S3-compatible stores often reject the newer CRC headers.
			requestChecksumCalculation: 'WHEN_REQUIRED' as const,
			responseChecksumValidation: 'WHEN_REQUIRED' as const,
		};
		let client = new sdk.S3Client(base);
		try {
			await client.config.region();
		} catch {
			client.destroy();
			if (!settings.endpoint) {
				throw new S3Error('no-region', 'no AWS region is configured: set AWS_REGION, or region in ~/.aws/config (or give --s3-endpoint for an S3-compatible store)');
			}
			client = new sdk.S3Client({...base, region: fallbackRegion});
		}
		return new S3Store(sdk, client, settings.endpoint ?? 'AWS S3');
	}

	private fail(error: unknown, action: string, bucket: string, key?: string): S3Error {
		return toS3Error(error, {action, bucket, ...(key !== undefined ? {key} : {}), endpoint: this.endpointLabel});
	}

	/** Every object under a prefix (ListObjectsV2, page by page). */
	async list(bucket: string, prefix: string): Promise<S3ObjectInfo[]> {
		const objects: S3ObjectInfo[] = [];
		let token: string | undefined;
		do {
			let page;
			try {
				page = await this.client.send(new this.sdk.ListObjectsV2Command({Bucket: bucket, Prefix: prefix, ...(token ? {ContinuationToken: token} : {})}));
			} catch (error) {
				throw this.fail(error, 'list', bucket, prefix);
			}
			for (const object of page.Contents ?? []) {
				if (object.Key === undefined) continue;
				objects.push({key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified?.getTime() ?? 0});
			}
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
		return objects;
	}

	/**
	 * Fails in words when the bucket is missing or not ours to use, before any byte is sent (HeadBucket: its
	 * 404 has no body, so the SDK's error says only "NotFound"). Some stores create a missing bucket on a PUT.
	 */
	async checkBucket(bucket: string): Promise<void> {
		try {
			await this.client.send(new this.sdk.HeadBucketCommand({Bucket: bucket}));
		} catch (error) {
			const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode;
			throw this.fail(status === 404 ? Object.assign(new Error(''), {name: 'NoSuchBucket', $metadata: {httpStatusCode: 404}}) : error, 'use', bucket);
		}
	}

	/** The object's size and time, or undefined when there is none. */
	async head(bucket: string, key: string): Promise<S3ObjectInfo | undefined> {
		try {
			const answer = await this.client.send(new this.sdk.HeadObjectCommand({Bucket: bucket, Key: key}));
			return {key, size: answer.ContentLength ?? 0, lastModified: answer.LastModified?.getTime() ?? 0};
		} catch (error) {
			const failure = this.fail(error, 'look up', bucket, key);
			if (failure.kind === 'no-object') return undefined;
			throw failure;
		}
	}

	/**
	 * A small object as text (a manifest), or undefined when there is none. Never more than maxBytes is
	 * held: a larger object (by its Content-Length, or by what arrives) is refused with S3Error 'too-large'.
	 */
	async getText(bucket: string, key: string, maxBytes: number): Promise<string | undefined> {
		let body: Readable;
		try {
			const answer = await this.client.send(new this.sdk.GetObjectCommand({Bucket: bucket, Key: key}));
			body = answer.Body as Readable;
			if (answer.ContentLength !== undefined && answer.ContentLength > maxBytes) {
				body.destroy();
				throw tooLarge(bucket, key, `is ${answer.ContentLength} bytes, more`, maxBytes);
			}
			const chunks: Buffer[] = [];
			let received = 0;
			for await (const chunk of body as AsyncIterable<Buffer>) {
				received += chunk.length;
				// A server that sends more than it announced (or announced nothing) is cut off here.
				if (received > maxBytes) {
					body.destroy();
					throw tooLarge(bucket, key, 'sent more', maxBytes);
				}
				chunks.push(chunk);
			}
			return Buffer.concat(chunks).toString('utf8');
		} catch (error) {
			const failure = this.fail(error, 'read', bucket, key);
			if (failure.kind === 'no-object') return undefined;
			throw failure;
		}
	}

	/** The object's bytes as a stream, and its size. */
	async getStream(bucket: string, key: string, signal?: AbortSignal): Promise<{body: Readable; size: number}> {
		try {
			const answer = await this.client.send(new this.sdk.GetObjectCommand({Bucket: bucket, Key: key}), signal ? {abortSignal: signal} : {});
			return {body: answer.Body as Readable, size: answer.ContentLength ?? 0};
		} catch (error) {
			throw this.fail(error, 'download', bucket, key);
		}
	}

	async putText(bucket: string, key: string, text: string, contentType = 'application/json'): Promise<void> {
		try {
			await this.client.send(new this.sdk.PutObjectCommand({Bucket: bucket, Key: key, Body: text, ContentType: contentType}));
		} catch (error) {
			throw this.fail(error, 'write', bucket, key);
		}
	}

	async delete(bucket: string, key: string): Promise<void> {
		try {
			await this.client.send(new this.sdk.DeleteObjectCommand({Bucket: bucket, Key: key}));
		} catch (error) {
			throw this.fail(error, 'delete', bucket, key);
		}
	}

	/**
	 * Streams `body` into one object with lib-storage's multipart upload (a single PUT when it is under one
	 * part). The object exists only once `body` has ended without an error: a body that errors (the snapshot
	 * failed its sha256 check) or a failed part makes this abort the multipart upload, retried for a while so
	 * a server that blinked does not keep the parts, and throw. Memory: at most queueSize parts.
	 */
	async upload(bucket: string, key: string, body: Readable, options: UploadOptions = {}): Promise<void> {
		const {Upload} = commonJs<typeof import('@aws-sdk/lib-storage')>(await import('@aws-sdk/lib-storage'));
		const upload = new Upload({
			client: this.client,
			params: {Bucket: bucket, Key: key, Body: body, ContentType: 'application/octet-stream'},
			partSize: options.partSize ?? partBytes,
			queueSize,
			// The abort is ours (below), with retries: lib-storage tries once and loses the id when that fails.
			leavePartsOnError: true,
		});
		if (options.onProgress) upload.on('httpUploadProgress', progress => progress.loaded !== undefined && options.onProgress!(progress.loaded));
		// The body's own failure (the snapshot failed its checks, or ctrl-c) is the one to report, as it is.
		let bodyError: unknown;
		body.once('error', error => (bodyError ??= error));
		const onAbort = () => body.destroy(options.signal?.reason instanceof Error ? options.signal.reason : new Error('the upload was interrupted'));
		options.signal?.addEventListener('abort', onAbort, {once: true});
		try {
			await upload.done();
		} catch (error) {
			// The body may still be flowing into lib-storage's queue: stop it so the snapshot stream ends too.
			if (!body.destroyed) body.destroy();
			const abortProblem = upload.uploadId ? await this.abortUpload(bucket, key, upload.uploadId) : undefined;
			// An AbortError is the body being torn down after the upload failed, not a cause of its own.
			const failure = bodyError instanceof Error && bodyError.name !== 'AbortError' ? bodyError : this.fail(error, 'upload to', bucket, key);
			if (abortProblem) failure.message += `; ${abortProblem}`;
			throw failure;
		} finally {
			options.signal?.removeEventListener('abort', onAbort);
		}
	}

	/** Aborts a multipart upload, retrying with backoff; the problem in words when it could not. */
	private async abortUpload(bucket: string, key: string, uploadId: string): Promise<string | undefined> {
		let last: unknown;
		for (let attempt = 0; attempt < abortAttempts; attempt++) {
			try {
				await this.client.send(new this.sdk.AbortMultipartUploadCommand({Bucket: bucket, Key: key, UploadId: uploadId}));
				return undefined;
			} catch (error) {
				const failure = this.fail(error, 'abort the upload to', bucket, key);
				// Already gone (completed elsewhere, or aborted by a lifecycle rule): nothing is left.
				if (failure.kind === 'no-object' || (error as {name?: string}).name === 'NoSuchUpload') return undefined;
				last = failure;
				await new Promise(resolve => setTimeout(resolve, 500 * 2 ** attempt));
			}
		}
		return `its parts could not be removed (${(last as Error).message}): run aws s3api abort-multipart-upload --bucket ${bucket} --key ${key} --upload-id ${uploadId}, or let a lifecycle rule (AbortIncompleteMultipartUpload) do it`;
	}

	close(): void {
		this.client.destroy();
	}
}

function tooLarge(bucket: string, key: string, what: string, maxBytes: number): S3Error {
	return new S3Error('too-large', `read s3://${bucket}/${key}: the object ${what} than the ${maxBytes} bytes a manifest may be, and was not read (remove it, or check who writes there)`);
}
