// `node dist/bench/snapshot.js [MB]`: wall time and peak memory of etcdtop's snapshot save and status against
// etcdctl's, on a throwaway single-member cluster holding at least MB megabytes (default 256). Each tool runs
// in its own process, alternately, three times; the median is printed.
import {spawn, spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {rmSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../source/demo/local-cluster.js';

const distRoot = fileURLToPath(new URL('../', import.meta.url));
const targetMb = Number(process.argv[2] ?? 256);
const runs = 3;

interface Run {
	readonly ms: number;
	readonly maxRssMb: number;
	readonly output: string;
}

/** Runs a command to completion, timing it and reading its peak RSS from the kernel's accounting via /proc. */
async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
	const started = process.hrtime.bigint();
	const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	let maxRssKb = 0;
	child.stdout.on('data', chunk => (output += chunk));
	child.stderr.on('data', chunk => (output += chunk));
	const sampler = setInterval(() => {
		try {
			const status = spawnSync('cat', [`/proc/${child.pid}/status`], {encoding: 'utf8'}).stdout;
			const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
			if (hwm) maxRssKb = Math.max(maxRssKb, Number(hwm[1]));
		} catch {}
	}, 20);
	const code = await new Promise<number | null>(resolve => child.on('exit', resolve));
	clearInterval(sampler);
	if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`);
	return {ms: Number(process.hrtime.bigint() - started) / 1e6, maxRssMb: maxRssKb / 1024, output};
}

function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)]!;
}

const etcdctlEnv = {...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_'))), ETCDCTL_API: '3'};

/** A child process that loads only what the real command would, so start-up cost is counted fairly. */
function etcdtopScript(imports: readonly string[], body: string): string[] {
	return [
		'--input-type=module',
		'-e',
		`${imports.map(line => line.replace('DIST/', join(distRoot, '/'))).join('\n')}
		const io = {out: t => console.log(t), err: t => console.error(t)};
		process.exitCode = await (${body});`,
	];
}

const saveImports = [
	"import {buildConfig} from 'DIST/source/config/config.js';",
	"import {snapshotSaveCommand} from 'DIST/source/commands/snapshot-save.js';",
];
const statusImports = ["import {snapshotStatusCommand} from 'DIST/source/commands/snapshot-status.js';"];

const cluster = await LocalCluster.start({members: 1, quotaBytes: 4 * 1024 ** 3});
try {
	const endpoint = cluster.endpoints[0]!;
	const client = new Etcd3({hosts: endpoint});
	const value = randomBytes(1_000_000);
	for (let index = 0; index < targetMb; index++) await client.put(`/bench/${index}`).value(value);
	client.close();
	const dir = cluster.baseDir;
	const ours = join(dir, 'ours.db');
	const theirs = join(dir, 'theirs.db');
	const results: Record<string, Run[]> = {etcdtopSave: [], etcdctlSave: [], etcdtopStatus: [], etcdctlStatus: []};
	for (let run = 0; run < runs; run++) {
		for (const file of [ours, `${ours}.meta.json`, theirs]) rmSync(file, {force: true});
		results['etcdctlSave']!.push(await timed('etcdctl', [`--endpoints=${endpoint}`, 'snapshot', 'save', theirs], etcdctlEnv));
		results['etcdtopSave']!.push(
			await timed(process.execPath, etcdtopScript(saveImports, `snapshotSaveCommand(buildConfig({endpoints: ${JSON.stringify(endpoint)}}, {}), ${JSON.stringify(ours)}, {isOverwriting: false}, io)`)),
		);
		results['etcdctlStatus']!.push(await timed('etcdctl', ['snapshot', 'status', '-w', 'json', theirs], etcdctlEnv));
		results['etcdtopStatus']!.push(await timed(process.execPath, etcdtopScript(statusImports, `snapshotStatusCommand(${JSON.stringify(ours)}, 'json', io)`)));
	}
	const size = statSync(ours).size;
	console.log(`snapshot of ${(size / 1e6).toFixed(0)} MB (${size} bytes), median of ${runs} runs, single-member etcd 3.4 on loopback`);
	for (const [name, list] of Object.entries(results)) {
		console.log(`${name.padEnd(14)} ${median(list.map(run => run.ms)).toFixed(0).padStart(6)} ms   peak RSS ${median(list.map(run => run.maxRssMb)).toFixed(0).padStart(4)} MB`);
	}
	console.log(`status output, etcdtop: ${results['etcdtopStatus']![0]!.output.trim()}`);
	console.log(`status output, etcdctl: ${results['etcdctlStatus']![0]!.output.trim()}`);
} finally {
	await cluster.stop();
}
