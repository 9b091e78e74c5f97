// `node dist/bench/run.js s3`: a streamed `snapshot save s3://…` of a ~300 MB database to s3rver on loopback,
// against a local `snapshot save` followed by an upload of the saved file with the same SDK (lib-storage,
// same part size and queue), side by side in one run; peak RSS of each process from /usr/bin/time.
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {cliPath} from '../test/helpers/cli.js';
import {S3Server, s3Credentials} from '../test/helpers/s3.js';
import {fmt, median, type BenchRow} from './measure.js';

const megabytes = Number(process.env['ETCDTOP_BENCH_S3_MB'] ?? 300);
const rounds = 3;
const sdkDir = fileURLToPath(new URL('../../node_modules/@aws-sdk/', import.meta.url));

interface Measured {
	readonly ms: number;
	readonly maxRssMb: number;
	readonly code: number | null;
	readonly stderr: string;
}

async function measured(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Measured> {
	const started = performance.now();
	const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {env, stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	const lines = stderr.trim().split('\n');
	return {ms: performance.now() - started, maxRssMb: Number(lines.at(-1)) / 1024, code, stderr};
}

export async function run(log: (line: string) => void): Promise<BenchRow[]> {
	const s3 = await S3Server.start(['bench']);
	const cluster = await LocalCluster.start({members: 1});
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-bench-s3-'));
	const env = {...process.env, ...s3Credentials, AWS_ENDPOINT_URL_S3: s3.endpoint};
	try {
		const client = new Etcd3({hosts: cluster.endpoints[0]!});
		const value = randomBytes(1 << 20);
		for (let index = 0; index < megabytes; index++) {
			value.writeUInt32LE(index, 0);
			await client.put(`/bench/${index}`).value(value);
		}
		client.close();
		// The two-step baseline: the same SDK, part size and queue as etcdtop's upload (s3/client.ts).
		const uploader = join(dir, 'upload.cjs');
		writeFileSync(
			uploader,
			`const {S3Client} = require(${JSON.stringify(join(sdkDir, 'client-s3'))});
const {Upload} = require(${JSON.stringify(join(sdkDir, 'lib-storage'))});
const {createReadStream} = require('node:fs');
const client = new S3Client({endpoint: process.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED'});
new Upload({client, params: {Bucket: 'bench', Key: process.argv[3], Body: createReadStream(process.argv[2])}, partSize: 5 << 20, queueSize: 2}).done().then(() => client.destroy(), error => { console.error(error); process.exit(1); });
`,
		);
		const streamed: Measured[] = [];
		const twoStep: Array<{save: Measured; upload: Measured}> = [];
		for (let round = 0; round < rounds; round++) {
			const one = await measured([cliPath, 'snapshot', 'save', `s3://bench/streamed-${round}.db`, '--endpoints', cluster.endpoints[0]!], env);
			const file = join(dir, `local-${round}.db`);
			const save = await measured([cliPath, 'snapshot', 'save', file, '--endpoints', cluster.endpoints[0]!], env);
			const upload = await measured([uploader, file, `uploaded-${round}.db`], env);
			for (const result of [one, save, upload]) if (result.code !== 0) throw new Error(`a bench step failed: ${result.stderr}`);
			streamed.push(one);
			twoStep.push({save, upload});
			rmSync(file, {force: true});
			rmSync(`${file}.meta.json`, {force: true});
			log(`round ${round + 1}: streamed ${fmt(one.ms)} (${one.maxRssMb.toFixed(0)} MB RSS); save ${fmt(save.ms)} + upload ${fmt(upload.ms)} = ${fmt(save.ms + upload.ms)}`);
		}
		const streamedMs = median(streamed.map(result => result.ms));
		const twoStepMs = median(twoStep.map(({save, upload}) => save.ms + upload.ms));
		const peakMb = Math.max(...streamed.map(result => result.maxRssMb));
		const ratio = streamedMs / twoStepMs;
		return [
			{what: `snapshot save s3://, ${megabytes} MB, streamed vs save + upload`, etcdtop: `${fmt(streamedMs)} vs ${fmt(twoStepMs)}`, ratio: `${ratio.toFixed(2)}x`, target: '<= 1.0x', isMet: ratio <= 1},
			{what: 'snapshot save s3://, peak RSS', etcdtop: `${peakMb.toFixed(0)} MB`, target: '< 200 MB', isMet: peakMb < 200},
		];
	} finally {
		await cluster.stop();
		await s3.stop();
		rmSync(dir, {recursive: true, force: true});
	}
}
