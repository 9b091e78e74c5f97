// `node dist/bench/snapshot.js [MB] [RUNS]` (or `run()` from bench/run.ts): wall time and peak memory of the
// real CLI — `etcdtop snapshot save` and `etcdtop snapshot status` — against etcdctl's, side by side in one
// run, on a throwaway single-member cluster holding at least MB megabytes (default 256). Each tool runs in
// its own process, alternately, RUNS times (default 5); medians and the ratio to the targets are printed.
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {readFileSync, rmSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {crc32cImplementation} from '../source/snapshot/file/crc32c.js';

const cliPath = fileURLToPath(new URL('../../bin/etcdtop.js', import.meta.url));

export interface Run {
	readonly ms: number;
	readonly maxRssMb: number;
	readonly output: string;
}

/** Runs a command to completion, timing it and sampling its peak RSS (VmHWM) from /proc. */
export async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
	const started = process.hrtime.bigint();
	const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	let maxRssKb = 0;
	child.stdout.on('data', chunk => (output += chunk));
	child.stderr.on('data', chunk => (output += chunk));
	const sample = () => {
		try {
			const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
			if (hwm) maxRssKb = Math.max(maxRssKb, Number(hwm[1]));
		} catch {}
	};
	const sampler = setInterval(sample, 10);
	const code = await new Promise<number | null>(resolve => child.on('exit', resolve));
	clearInterval(sampler);
	if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`);
	return {ms: Number(process.hrtime.bigint() - started) / 1e6, maxRssMb: maxRssKb / 1024, output};
}

function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)]!;
}

export interface SnapshotBenchResult {
	readonly fileBytes: number;
	readonly runs: number;
	readonly crc32c: 'native' | 'js';
	/** Median wall ms and peak RSS MB per tool and command. */
	readonly medians: Readonly<Record<'etcdtopSave' | 'etcdctlSave' | 'etcdtopStatus' | 'etcdctlStatus', {readonly ms: number; readonly maxRssMb: number; readonly allMs: readonly number[]}>>;
	readonly saveRatio: number;
	readonly statusRatio: number;
}

export async function run({megabytes = 256, runs = 5, log = console.log}: {megabytes?: number; runs?: number; log?: (line: string) => void} = {}): Promise<SnapshotBenchResult> {
	const etcdctlEnv = {...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_'))), ETCDCTL_API: '3'};
	const etcdtopEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_') && !key.startsWith('ETCDTOP_')));
	const cluster = await LocalCluster.start({members: 1, quotaBytes: 4 * 1024 ** 3});
	try {
		const endpoint = cluster.endpoints[0]!;
		const client = new Etcd3({hosts: endpoint});
		const value = randomBytes(1_000_000);
		for (let index = 0; index < megabytes; index++) await client.put(`/bench/${index}`).value(value);
		for (let index = 0; index < 20_000; index += 100) {
			await Promise.all(Array.from({length: 100}, async (_, offset) => client.put(`/small/${index + offset}`).value('v'.repeat(100))));
		}
		client.close();
		const dir = cluster.baseDir;
		const ours = join(dir, 'ours.db');
		const theirs = join(dir, 'theirs.db');
		const results = {etcdtopSave: [] as Run[], etcdctlSave: [] as Run[], etcdtopStatus: [] as Run[], etcdctlStatus: [] as Run[]};
		for (let round = 0; round < runs; round++) {
			// Removed outside the timing: replacing a large file costs the filesystem a truncate.
			for (const file of [ours, `${ours}.meta.json`, theirs]) rmSync(file, {force: true});
			const saves: Array<[keyof typeof results, () => Promise<Run>]> = [
				['etcdctlSave', async () => timed('etcdctl', [`--endpoints=${endpoint}`, 'snapshot', 'save', theirs], etcdctlEnv)],
				['etcdtopSave', async () => timed(process.execPath, [cliPath, 'snapshot', 'save', ours, '--endpoints', endpoint], etcdtopEnv)],
			];
			const statuses: Array<[keyof typeof results, () => Promise<Run>]> = [
				['etcdctlStatus', async () => timed('etcdctl', ['snapshot', 'status', '-w', 'json', theirs], etcdctlEnv)],
				['etcdtopStatus', async () => timed(process.execPath, [cliPath, 'snapshot', 'status', '-w', 'json', ours], etcdtopEnv)],
			];
			// Alternate who goes first, so neither always meets a warmer page cache or a busier disk.
			for (const [name, go] of round % 2 === 0 ? saves : saves.reverse()) results[name].push(await go());
			for (const [name, go] of round % 2 === 0 ? statuses : statuses.reverse()) results[name].push(await go());
		}
		const fileBytes = statSync(ours).size;
		const medians = Object.fromEntries(
			Object.entries(results).map(([name, list]) => [name, {ms: median(list.map(entry => entry.ms)), maxRssMb: median(list.map(entry => entry.maxRssMb)), allMs: list.map(entry => Math.round(entry.ms))}]),
		) as unknown as SnapshotBenchResult['medians'];
		const saveRatio = medians.etcdtopSave.ms / medians.etcdctlSave.ms;
		const statusRatio = medians.etcdtopStatus.ms / medians.etcdctlStatus.ms;
		log(`snapshot of ${(fileBytes / 1e6).toFixed(0)} MB, median of ${runs} alternating runs, single-member etcd on loopback, CRC-32C ${crc32cImplementation}`);
		for (const [name, entry] of Object.entries(medians)) {
			log(`${name.padEnd(14)} ${entry.ms.toFixed(0).padStart(6)} ms   peak RSS ${entry.maxRssMb.toFixed(0).padStart(4)} MB   runs ${entry.allMs.join(' ')}`);
		}
		log(`save   etcdtop/etcdctl ${saveRatio.toFixed(2)}x (target <= 1.0x) ${saveRatio <= 1 ? 'met' : 'NOT met'}`);
		log(`status etcdtop/etcdctl ${statusRatio.toFixed(2)}x (target <= 1.5x) ${statusRatio <= 1.5 ? 'met' : 'NOT met'}`);
		log(`status output, etcdtop: ${results.etcdtopStatus[0]!.output.trim()}`);
		log(`status output, etcdctl: ${results.etcdctlStatus[0]!.output.trim()}`);
		return {fileBytes, runs, crc32c: crc32cImplementation, medians, saveRatio, statusRatio};
	} finally {
		await cluster.stop();
	}
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	await run({megabytes: Number(process.argv[2] ?? 256), runs: Number(process.argv[3] ?? 5)});
}
