/* eslint-disable @typescript-eslint/no-explicit-any -- s3rver ships no types */
// A real S3-compatible server (s3rver) in a process of its own, so a test can kill it with SIGKILL.
// argv: PORT DIRECTORY BUCKET...; prints "listening PORT" once it accepts connections.
//
// s3rver 3.7 answers AbortMultipartUpload with MethodNotAllowed and keeps the parts: real S3 and MinIO
// remove them. The one missing operation is added here, ahead of s3rver's router, so a test can check that
// etcdtop aborts (and that no parts are left) as it would against those servers.
import {rm} from 'node:fs/promises';
import {join} from 'node:path';

const [port = '0', directory = '', ...buckets] = process.argv.slice(2);
const S3rver = ((await import('s3rver' as string)) as {default: new (options: object) => any}).default;
const server = new S3rver({port: Number(port), address: '127.0.0.1', directory, silent: true, configureBuckets: buckets.map(name => ({name}))});

server.middleware.unshift(async (ctx: any, next: () => Promise<void>) => {
	const uploadId = ctx.query?.uploadId;
	if (ctx.method === 'DELETE' && typeof uploadId === 'string' && /^[A-Za-z0-9_-]+$/.test(uploadId)) {
		const bucket = ctx.path.split('/')[1];
		await rm(join(directory, bucket, '._S3rver_uploads', uploadId), {recursive: true, force: true});
		ctx.status = 204;
		return;
	}
	await next();
});

const {port: actual} = await server.run();
process.stdout.write(`listening ${actual}\n`);
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
