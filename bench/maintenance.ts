// `node dist/bench/maintenance.js [MB] [RUNS]` (or `npm run bench -- maintenance`): `etcdtop defrag --yes` on a
// 3-member loopback cluster whose members hold ~MB megabytes each (default 200), against `etcdctl defrag` on
// each endpoint in turn, alternately, RUNS times (default 5: one defrag's time swings by a second on a
// busy disk); then `etcdtop snapshot inspect` of a ~300 MB snapshot against `etcdctl snapshot status` on
// the same file. Wall time and peak RSS of each process.
import {randomBytes} from 'node:crypto';
import {statSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {fmt, median, type BenchRow} from './measure.js';
import {timed, type Run} from './snapshot.js';

const cliPath = fileURLToPath(new URL('../../bin/etcdtop.js', import.meta.url));

async function fill(endpoint: string, prefix: string, megabytes: number): Promise<void> {
	const client = new Etcd3({hosts: endpoint});
	const value = randomBytes(500_000);
	try {
		for (let index = 0; index < megabytes * 2; index += 4) {
			await Promise.all(Array.from({length: 4}, async (_, offset) => client.put(`${prefix}/${index + offset}`).value(value)));
		}
		// Small keys under a few prefixes, as a Kubernetes keyspace has.
		for (let index = 0; index < 20_000; index += 200) {
			await Promise.all(Array.from({length: 200}, async (_, offset) => client.put(`/registry/pods/ns-${(index + offset) % 20}/pod-${index + offset}`).value('p'.repeat(300))));
		}
	} finally {
		client.close();
	}
}

export interface MaintenanceBenchResult {
	readonly dbBytes: number;
	readonly defrag: {readonly etcdtop: readonly Run[]; readonly etcdctl: readonly Run[]; readonly ratio: number};
	readonly snapshotBytes: number;
	readonly inspect: {readonly etcdtop: readonly Run[]; readonly etcdctl: readonly Run[]; readonly ratio: number};
}

export async function bench({megabytes = 200, runs = 5, log = console.log}: {megabytes?: number; runs?: number; log?: (line: string) => void} = {}): Promise<MaintenanceBenchResult> {
	const etcdctlEnv = {...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_'))), ETCDCTL_API: '3'};
	const etcdtopEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_') && !key.startsWith('ETCDTOP_')));
	const cluster = await LocalCluster.start({members: 3, quotaBytes: 4 * 1024 ** 3});
	try {
		const endpoints = cluster.endpoints;
		await fill(endpoints[0]!, '/bench', megabytes);
		const status = await timed('etcdctl', [`--endpoints=${endpoints.join(',')}`, 'endpoint', 'status', '-w', 'json'], etcdctlEnv);
		const dbBytes = Math.max(...(JSON.parse(status.output) as Array<{Status: {dbSize: number}}>).map(entry => entry.Status.dbSize));
		log(`3 members, ${(dbBytes / 1e6).toFixed(0)} MB each`);
		const defrag = {etcdtop: [] as Run[], etcdctl: [] as Run[]};
		for (let round = 0; round < runs; round++) {
			const tools: Array<[keyof typeof defrag, () => Promise<Run>]> = [
				// etcdctl goes through --endpoints one after another, as an operator runs it.
				['etcdctl', async () => timed('etcdctl', [`--endpoints=${endpoints.join(',')}`, '--command-timeout=300s', 'defrag'], etcdctlEnv)],
				['etcdtop', async () => timed(process.execPath, [cliPath, 'defrag', '--yes', '--endpoints', endpoints.join(',')], etcdtopEnv)],
			];
			for (const [name, go] of round % 2 === 0 ? tools : tools.reverse()) defrag[name].push(await go());
		}
		const defragRatio = median(defrag.etcdtop.map(run => run.ms)) / median(defrag.etcdctl.map(run => run.ms));
		log(`defrag: etcdtop ${defrag.etcdtop.map(run => fmt(run.ms)).join(', ')} (peak RSS ${defrag.etcdtop.map(run => run.maxRssMb.toFixed(0)).join(', ')} MB); etcdctl ${defrag.etcdctl.map(run => fmt(run.ms)).join(', ')} (peak RSS ${defrag.etcdctl.map(run => run.maxRssMb.toFixed(0)).join(', ')} MB); ratio ${defragRatio.toFixed(2)}x`);

		await fill(endpoints[0]!, '/more', Math.max(0, 300 - megabytes));
		const file = join(cluster.baseDir, 'inspect.db');
		await timed('etcdctl', [`--endpoints=${endpoints[0]}`, 'snapshot', 'save', file], etcdctlEnv);
		const snapshotBytes = statSync(file).size;
		const inspect = {etcdtop: [] as Run[], etcdctl: [] as Run[]};
		for (let round = 0; round < runs + 2; round++) {
			const tools: Array<[keyof typeof inspect, () => Promise<Run>]> = [
				['etcdctl', async () => timed('etcdctl', ['snapshot', 'status', '-w', 'json', file], etcdctlEnv)],
				['etcdtop', async () => timed(process.execPath, [cliPath, 'snapshot', 'inspect', '-w', 'json', file], etcdtopEnv)],
			];
			for (const [name, go] of round % 2 === 0 ? tools : tools.reverse()) inspect[name].push(await go());
		}
		const inspectRatio = median(inspect.etcdtop.map(run => run.ms)) / median(inspect.etcdctl.map(run => run.ms));
		log(`snapshot inspect ${(snapshotBytes / 1e6).toFixed(0)} MB: etcdtop ${inspect.etcdtop.map(run => fmt(run.ms)).join(', ')} (peak RSS ${inspect.etcdtop.map(run => run.maxRssMb.toFixed(0)).join(', ')} MB); etcdctl snapshot status ${inspect.etcdctl.map(run => fmt(run.ms)).join(', ')} (peak RSS ${inspect.etcdctl.map(run => run.maxRssMb.toFixed(0)).join(', ')} MB); ratio ${inspectRatio.toFixed(2)}x`);
		return {dbBytes, defrag: {...defrag, ratio: defragRatio}, snapshotBytes, inspect: {...inspect, ratio: inspectRatio}};
	} finally {
		await cluster.stop();
	}
}

export async function run(log: (line: string) => void): Promise<BenchRow[]> {
	const result = await bench({log});
	const ms = (runs: readonly Run[]) => median(runs.map(entry => entry.ms));
	const rss = (runs: readonly Run[]) => Math.max(...runs.map(entry => entry.maxRssMb));
	return [
		{
			what: `defrag, 3 members of ${Math.round(result.dbBytes / 1e6)} MB (etcdctl: each endpoint in turn)`,
			etcdtop: `${fmt(ms(result.defrag.etcdtop))}, ${rss(result.defrag.etcdtop).toFixed(0)} MB RSS`,
			etcdctl: `${fmt(ms(result.defrag.etcdctl))}, ${rss(result.defrag.etcdctl).toFixed(0)} MB RSS`,
			ratio: `${result.defrag.ratio.toFixed(2)}x`,
			target: '<= 1.2x etcdctl',
			isMet: result.defrag.ratio <= 1.2,
		},
		{
			what: `snapshot inspect, ${Math.round(result.snapshotBytes / 1e6)} MB (etcdctl: snapshot status)`,
			etcdtop: `${fmt(ms(result.inspect.etcdtop))}, ${rss(result.inspect.etcdtop).toFixed(0)} MB RSS`,
			etcdctl: `${fmt(ms(result.inspect.etcdctl))}, ${rss(result.inspect.etcdctl).toFixed(0)} MB RSS`,
			ratio: `${result.inspect.ratio.toFixed(2)}x`,
			target: '<= 2x etcdctl',
			isMet: result.inspect.ratio <= 2,
		},
	];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	await bench({megabytes: Number(process.argv[2] ?? 200), runs: Number(process.argv[3] ?? 5)});
}
