import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {test} from 'node:test';
import {S3Store} from '../../source/s3/client.js';
import {S3Error} from '../../source/s3/errors.js';
import {maxManifestBytes} from '../../source/snapshot/file/manifest.js';
import {listRemoteSnapshots, readRemoteManifest} from '../../source/snapshot/remote-dir.js';

// S3Store.getText reads a manifest whole: a huge object planted at KEY.meta.json (or a server that sends
// more than it announced) must not be held in memory. The SDK's client is replaced by one answering
// GetObject with a real stream; the store's own code is what runs.

interface Answer {
	readonly contentLength: number | undefined;
	readonly bytes: number;
}

function withSdkMixin(stream: Readable): Readable {
	return Object.assign(stream, {transformToString: async (encoding: BufferEncoding) => Buffer.concat(await stream.toArray()).toString(encoding)});
}

/** A store whose GetObject answers with `answer`; `pulled` counts the bytes the store read from the body. */
function storeAnswering(answer: Answer): {store: S3Store; pulled: () => number} {
	let pulled = 0;
	// transformToString as the SDK's body has it (what getText once read whole with).
	const body = () => withSdkMixin(
		Readable.from(
			(function* () {
				const chunk = Buffer.alloc(64 << 10, 0x61);
				for (let sent = 0; sent < answer.bytes; sent += chunk.length) {
					const part = chunk.subarray(0, Math.min(chunk.length, answer.bytes - sent));
					pulled += part.length;
					yield part;
				}
			})(),
		),
	);
	const sdk = {GetObjectCommand: class {
		constructor(readonly input: unknown) {}
	}};
	const client = {send: async () => ({ContentLength: answer.contentLength, Body: body()}), destroy() {}};
	const Store = S3Store as unknown as new (sdk: unknown, client: unknown, label: string) => S3Store;
	return {store: new Store(sdk, client, 'http://127.0.0.1:1'), pulled: () => pulled};
}

test('getText reads an object up to the bound and refuses a larger one in words, by its Content-Length or by what arrives', async () => {
	const small = storeAnswering({contentLength: 10, bytes: 10});
	assert.equal(await small.store.getText('b', 'k.meta.json', maxManifestBytes), 'a'.repeat(10));
	const exact = storeAnswering({contentLength: maxManifestBytes, bytes: maxManifestBytes});
	assert.equal((await exact.store.getText('b', 'k.meta.json', maxManifestBytes))!.length, maxManifestBytes);

	const announced = storeAnswering({contentLength: 8 << 20, bytes: 8 << 20});
	await assert.rejects(announced.store.getText('b', 'p/k.db.meta.json', maxManifestBytes), (error: unknown) => {
		assert.ok(error instanceof S3Error);
		assert.equal(error.kind, 'too-large');
		assert.equal(error.message, 'read s3://b/p/k.db.meta.json: the object is 8388608 bytes, more than the 4194304 bytes a manifest may be, and was not read (remove it, or check who writes there)');
		return true;
	});
	assert.equal(announced.pulled(), 0, 'nothing read of an object announced too large');

	// No Content-Length (or a lying one): cut off just past the bound, not read to its end.
	for (const contentLength of [undefined, 100]) {
		const unannounced = storeAnswering({contentLength, bytes: 8 << 20});
		await assert.rejects(unannounced.store.getText('b', 'k.meta.json', maxManifestBytes), (error: unknown) => error instanceof S3Error && error.kind === 'too-large' && /sent more than the 4194304 bytes/.test(error.message));
		assert.ok(unannounced.pulled() <= maxManifestBytes + (128 << 10), `read ${unannounced.pulled()} bytes`);
	}
});

test('a too-large manifest: one object\'s manifest is refused in words; a listing lists the object without it', async () => {
	const {store} = storeAnswering({contentLength: 5 << 20, bytes: 5 << 20});
	await assert.rejects(readRemoteManifest(store, {bucket: 'b', key: 'p/x.db'}), /p\/x\.db\.meta\.json: the object is 5242880 bytes, more than/);
	Object.assign(store, {list: async () => [{key: 'p/x.db', size: 100, lastModified: 0}, {key: 'p/x.db.meta.json', size: 5 << 20, lastModified: 0}]});
	const entries = await listRemoteSnapshots(store, {bucket: 'b', key: 'p/'});
	assert.deepEqual(entries.map(entry => [entry.key, entry.manifest]), [['p/x.db', undefined]]);
});
