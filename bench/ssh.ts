// Status latency through the loopback SSH tunnel vs direct: what --via costs per probe.
// Run: npx tsc -p . && node dist/bench/ssh.js [calls]
import {performance} from 'node:perf_hooks';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {MemberClient} from '../source/etcd/member-client.js';
import {Keyring} from '../source/ssh/connect.js';
import {SshConnection} from '../source/ssh/connection.js';
import {resolveSshHost} from '../source/ssh/ssh-config.js';
import {openTunnels} from '../source/ssh/tunnel.js';
import {TestSshd} from '../test/helpers/sshd.js';

export interface LatencySummary {
	readonly calls: number;
	readonly medianMs: number;
	readonly p90Ms: number;
	readonly p99Ms: number;
}

function summarize(samples: number[]): LatencySummary {
	const sorted = [...samples].sort((a, b) => a - b);
	const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3));
	return {calls: sorted.length, medianMs: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99)};
}

async function measure(client: MemberClient, calls: number): Promise<LatencySummary> {
	for (let index = 0; index < 20; index++) await client.status(5000);
	const samples: number[] = [];
	for (let index = 0; index < calls; index++) {
		const started = performance.now();
		await client.status(5000);
		samples.push(performance.now() - started);
	}
	return summarize(samples);
}

export async function benchSshTunnel(calls = 500): Promise<{readonly direct: LatencySummary; readonly tunnel: LatencySummary}> {
	const [sshd, cluster] = await Promise.all([TestSshd.start(), LocalCluster.start({members: 1, namePrefix: 'bench'})]);
	const connection = new SshConnection({
		host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
		hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
		keyring: new Keyring(),
		agentSocket: '',
	}).start();
	const clients: MemberClient[] = [];
	try {
		await connection.waitUntilUp({timeoutMs: 30_000});
		const endpoint = cluster.members[0]!.clientUrl;
		const tunnels = await openTunnels(connection, [endpoint]);
		const direct = new MemberClient(endpoint, {dialTimeoutMs: 5000, commandTimeoutMs: 5000});
		const tunnelled = new MemberClient(tunnels.get(endpoint)!.via.endpoint, {dialTimeoutMs: 5000, commandTimeoutMs: 5000});
		clients.push(direct, tunnelled);
		// Alternate rounds so a burst of machine noise hits both sides alike.
		const rounds = 5;
		const directSamples: LatencySummary[] = [];
		const tunnelSamples: LatencySummary[] = [];
		for (let round = 0; round < rounds; round++) {
			directSamples.push(await measure(direct, Math.ceil(calls / rounds)));
			tunnelSamples.push(await measure(tunnelled, Math.ceil(calls / rounds)));
		}
		const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
		const merge = (parts: LatencySummary[]): LatencySummary => ({
			calls: parts.reduce((sum, part) => sum + part.calls, 0),
			medianMs: median(parts.map(part => part.medianMs)),
			p90Ms: median(parts.map(part => part.p90Ms)),
			p99Ms: median(parts.map(part => part.p99Ms)),
		});
		for (const {tunnel} of tunnels.values()) await tunnel.close();
		return {direct: merge(directSamples), tunnel: merge(tunnelSamples)};
	} finally {
		for (const client of clients) client.close();
		connection.close();
		await Promise.all([sshd.dispose(), cluster.stop()]);
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const calls = Number(process.argv[2] ?? 500);
	const result = await benchSshTunnel(calls);
	const overhead = result.tunnel.medianMs - result.direct.medianMs;
	console.log(JSON.stringify({...result, medianOverheadMs: Number(overhead.toFixed(3))}, null, 2));
}
