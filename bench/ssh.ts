// What --via costs, in one run against one single-member etcd on loopback and a real sshd on loopback:
//  - status latency through the SSH tunnel vs direct (target: median overhead under 5 ms);
//  - snapshot save throughput through the tunnel vs direct, on a DB of ~120 MB (target: at least 0.7x).
// Both sides use the production path: the routed clients of route/routes.ts, direct and through the
// tunnel --via builds (local port, TLS name override, 8 MiB window), and saveSnapshot writing a verified file.
// Run: npx tsc -p . && node dist/bench/ssh.js [statusCalls] [dbMegabytes]
// From bench/run.ts: `import {benchSsh} from './ssh.js'; const result = await benchSsh();` (returns the JSON printed here).
import {randomBytes} from 'node:crypto';
import {rmSync} from 'node:fs';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../source/demo/local-cluster.js';
import type {ConnectOptions} from '../source/etcd/member-client.js';
import {createRoutes, type RoutedClient, type Routes} from '../source/route/routes.js';
import {saveSnapshot} from '../source/snapshot/save.js';
import {Keyring} from '../source/ssh/connect.js';
import {SshConnection} from '../source/ssh/connection.js';
import {resolveSshHost} from '../source/ssh/ssh-config.js';
import {TunnelPool} from '../source/ssh/tunnel-pool.js';
import {TestSshd} from '../test/helpers/sshd.js';

export interface LatencySummary {
	readonly calls: number;
	readonly medianMs: number;
	readonly p90Ms: number;
	readonly p99Ms: number;
}

export interface ThroughputSummary {
	readonly runs: number;
	readonly bytes: number;
	readonly medianMs: number;
	readonly medianMBps: number;
}

export interface SshBenchResult {
	readonly status: {readonly direct: LatencySummary; readonly tunnel: LatencySummary; readonly medianOverheadMs: number; readonly isWithinTarget: boolean};
	readonly snapshot: {readonly direct: ThroughputSummary; readonly tunnel: ThroughputSummary; readonly ratio: number; readonly isWithinTarget: boolean};
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function summarize(samples: number[]): LatencySummary {
	const sorted = [...samples].sort((a, b) => a - b);
	const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3));
	return {calls: sorted.length, medianMs: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99)};
}

async function measureStatus(client: RoutedClient, calls: number): Promise<number[]> {
	for (let index = 0; index < 20; index++) await client.status(5000);
	const samples: number[] = [];
	for (let index = 0; index < calls; index++) {
		const started = performance.now();
		await client.status(5000);
		samples.push(performance.now() - started);
	}
	return samples;
}

async function measureSnapshot(endpoint: string, routes: Routes, path: string): Promise<{ms: number; bytes: number}> {
	const client = await routes.snapshotClient(endpoint);
	try {
		const started = performance.now();
		const result = await saveSnapshot(signal => client.snapshot(signal), {path, isOverwriting: true, idleTimeoutMs: 30_000});
		return {ms: performance.now() - started, bytes: result.fileSize};
	} finally {
		client.close();
		rmSync(path, {force: true});
	}
}

async function fill(endpoint: string, megabytes: number): Promise<void> {
	const client = new Etcd3({hosts: endpoint});
	try {
		const value = randomBytes(1_000_000);
		for (let index = 0; index < megabytes; index += 4) {
			await Promise.all([0, 1, 2, 3].filter(offset => index + offset < megabytes).map(async offset => client.put(`/bench/${index + offset}`).value(value)));
		}
	} finally {
		client.close();
	}
}

export async function benchSsh({statusCalls = 500, dbMegabytes = 120, snapshotRuns = 5}: {readonly statusCalls?: number; readonly dbMegabytes?: number; readonly snapshotRuns?: number} = {}): Promise<SshBenchResult> {
	const [sshd, cluster] = await Promise.all([TestSshd.start(), LocalCluster.start({members: 1, namePrefix: 'bench-ssh', quotaBytes: 4 * 1024 ** 3})]);
	const connection = new SshConnection({
		host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
		hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
		keyring: new Keyring(),
		agentSocket: '',
	}).start();
	const pool = new TunnelPool(connection);
	const clients: RoutedClient[] = [];
	try {
		await connection.waitUntilUp({timeoutMs: 30_000});
		const endpoint = cluster.members[0]!.clientUrl;
		const connect: ConnectOptions = {dialTimeoutMs: 5000, commandTimeoutMs: 5000};
		const directRoutes = createRoutes(connect);
		const tunnelRoutes = createRoutes(connect, pool);
		const direct = directRoutes.client(endpoint);
		const tunnelled = tunnelRoutes.client(endpoint);
		clients.push(direct, tunnelled);
		// Alternate rounds so a burst of machine noise (other engineers' tests) hits both sides alike.
		const rounds = 5;
		const directSamples: number[] = [];
		const tunnelSamples: number[] = [];
		for (let round = 0; round < rounds; round++) {
			directSamples.push(...(await measureStatus(direct, Math.ceil(statusCalls / rounds))));
			tunnelSamples.push(...(await measureStatus(tunnelled, Math.ceil(statusCalls / rounds))));
		}
		const directStatus = summarize(directSamples);
		const tunnelStatus = summarize(tunnelSamples);
		const overhead = Number((tunnelStatus.medianMs - directStatus.medianMs).toFixed(3));

		await fill(endpoint, dbMegabytes);
		const directRuns: Array<{ms: number; bytes: number}> = [];
		const tunnelRuns: Array<{ms: number; bytes: number}> = [];
		const file = join(cluster.baseDir, 'bench-ssh.db');
		// One warm-up each (page cache, JIT), then alternate.
		await measureSnapshot(endpoint, directRoutes, file);
		await measureSnapshot(endpoint, tunnelRoutes, file);
		for (let run = 0; run < snapshotRuns; run++) {
			directRuns.push(await measureSnapshot(endpoint, directRoutes, file));
			tunnelRuns.push(await measureSnapshot(endpoint, tunnelRoutes, file));
		}
		const throughput = (runs: ReadonlyArray<{ms: number; bytes: number}>): ThroughputSummary => {
			const ms = median(runs.map(run => run.ms));
			const bytes = runs[0]!.bytes;
			return {runs: runs.length, bytes, medianMs: Number(ms.toFixed(1)), medianMBps: Number((bytes / 1e6 / (ms / 1000)).toFixed(1))};
		};
		const directSnapshot = throughput(directRuns);
		const tunnelSnapshot = throughput(tunnelRuns);
		const ratio = Number((tunnelSnapshot.medianMBps / directSnapshot.medianMBps).toFixed(3));
		return {
			status: {direct: directStatus, tunnel: tunnelStatus, medianOverheadMs: overhead, isWithinTarget: overhead < 5},
			snapshot: {direct: directSnapshot, tunnel: tunnelSnapshot, ratio, isWithinTarget: ratio >= 0.7},
		};
	} finally {
		for (const client of clients) client.close();
		await pool.close();
		connection.close();
		await Promise.all([sshd.dispose(), cluster.stop()]);
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const result = await benchSsh({statusCalls: Number(process.argv[2] ?? 500), dbMegabytes: Number(process.argv[3] ?? 120)});
	console.log(JSON.stringify(result, null, 2));
}
