// Replacing a failed member of a loopback cluster holding ~100 MB: time from the removal to a promoted,
// healthy voter, the share spent waiting for the learner to catch up, and etcdtop's own overhead — its
// total minus a bare etcd3 script doing the same calls with tight polling on an identical cluster.
// Run: npx tsc -p . && node dist/bench/member-replace.js [megabytes] [rounds]
import {buildSshSettings} from '../source/config/config.js';
import {rmSync} from 'node:fs';
import {performance} from 'node:perf_hooks';
import {Etcd3} from 'etcd3';
import {freePort} from '../source/demo/free-port.js';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {MemberClient} from '../source/etcd/member-client.js';
import {startSettings} from '../source/ops/commands.js';
import {initialState} from '../source/ops/member-workflow.js';
import {liveOperationIo} from '../source/ops/live-io.js';
import {runOperation} from '../source/ops/member-run.js';
import {fmt, type BenchRow} from './measure.js';

export interface MemberReplaceResult {
	readonly megabytes: number;
	/** etcdtop: removal sent -> new member a promoted voter and every voter answering. */
	readonly totalMs: number;
	/** Of that, from the start command to the successful promote. */
	readonly catchUpMs: number;
	readonly catchUpShare: number;
	/** The same steps as a bare etcd3 script polling every 50 ms. */
	readonly baselineMs: number;
	readonly overheadMs: number;
}

const valueBytes = 256 * 1024;
const progress = (text: string) => process.stderr.write(`[member-replace] ${text}\n`);

/** A loaded cluster with one follower killed and wiped (a follower in both runs, so neither pays an election). */
async function loadedCluster(megabytes: number): Promise<{cluster: LocalCluster; failed: string}> {
	const cluster = await LocalCluster.start({members: 3, namePrefix: 'bench', quotaBytes: 4 * 1024 ** 3});
	const client = new Etcd3({hosts: cluster.endpoints});
	try {
		const value = Buffer.alloc(valueBytes, 'x');
		const count = Math.ceil((megabytes * 1024 * 1024) / valueBytes);
		// Two writes in flight: a loopback cluster on a shared 2-core machine times out under more.
		for (let index = 0; index < count; index += 2) {
			await Promise.all(Array.from({length: Math.min(2, count - index)}, (_, offset) => client.put(`bench/${index + offset}`).value(value)));
		}
		progress(`loaded ${count} x ${valueBytes / 1024} KiB`);
	} finally {
		client.close();
	}
	const probe = new MemberClient(cluster.members[0]!.clientUrl, {dialTimeoutMs: 2000, commandTimeoutMs: 5000});
	let failed: string;
	try {
		const [{members}, {leader}] = await Promise.all([probe.memberList(5000), probe.status(5000)]);
		failed = members.find(member => member.id !== leader)!.name;
	} finally {
		probe.close();
	}
	await cluster.kill(failed);
	rmSync(cluster.member(failed).dataDir, {recursive: true, force: true});
	return {cluster, failed};
}

async function newUrls() {
	return {peer: `http://127.0.0.1:${await freePort()}`, client: `http://127.0.0.1:${await freePort()}`};
}

async function withEtcdtop({cluster, failed}: {cluster: LocalCluster; failed: string}): Promise<{totalMs: number; catchUpMs: number}> {
	const urls = await newUrls();
	const marks: Record<string, number> = {};
	const io = liveOperationIo(
		{endpoints: cluster.endpoints, connect: {dialTimeoutMs: 2000, commandTimeoutMs: 5000}, probeTimeoutMs: 2000, ssh: buildSshSettings({}), sshTimeoutMs: 60_000},
		{
			confirm: async () => true,
			log: entry => {
				if (process.env['BENCH_TRACE']) progress(`${Math.round(performance.now())} ${entry.step} ${entry.result}`);
				if (entry.result.startsWith('ok') || entry.result.startsWith('exit')) marks[entry.step] ??= performance.now();
			},
		},
	);
	// The start command runs here instead of over SSH: the bench measures etcd and etcdtop, not sshd.
	const runStart: typeof io.runStart = async effect => {
		marks['start-sent'] = performance.now();
		cluster.startExtra('bench-4', {env: effect.env});
		return {exitCode: 0, output: [], commandLine: 'etcd', host: 'local'};
	};
	let removeSent = 0;
	const plan = {kind: 'replace' as const, target: failed, newName: 'bench-4', newPeerUrls: [urls.peer], newClientUrls: [urls.client], isLearner: true, startCommand: 'etcd', isPreConfirmed: true, waitTimeoutMs: 600_000, maxPromoteAttempts: 600, connection: {endpoints: cluster.endpoints}};
	try {
		const final = await runOperation(initialState(plan), {
			...io,
			runStart,
			onState: state => {
				if (process.env['BENCH_TRACE']) progress(`${Math.round(performance.now())} step ${state.step} next ${state.next?.type ?? '-'} ${state.notes.at(-1) ?? ''}`);
				if (state.next?.type === 'remove-member' && removeSent === 0) removeSent = performance.now();
			},
		});
		if (final.outcome?.type !== 'done') throw new Error(`replacement ended ${final.outcome?.type}: ${final.outcome?.message}`);
		const end = performance.now();
		return {totalMs: end - removeSent, catchUpMs: (marks['promote'] ?? end) - (marks['start-sent'] ?? removeSent)};
	} finally {
		io.close();
	}
}

/** The floor: what etcd itself needs for the same steps, driven as tightly as a script can. */
async function bare({cluster, failed}: {cluster: LocalCluster; failed: string}): Promise<number> {
	const urls = await newUrls();
	const seed = new MemberClient(cluster.members.find(member => member.name !== failed)!.clientUrl, {dialTimeoutMs: 2000, commandTimeoutMs: 5000});
	const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
	try {
		const {members} = await seed.memberList(5000);
		const dead = members.find(member => member.name === failed)!;
		const started = performance.now();
		for (;;) {
			try {
				await seed.memberRemove(dead.id, 5000);
				break;
			} catch (error) {
				if (!/unhealthy cluster/.test(String(error))) throw error;
				await sleep(50);
			}
		}
		let added;
		for (;;) {
			try {
				added = await seed.memberAdd([urls.peer], true, 5000);
				break;
			} catch (error) {
				if (!/unhealthy cluster/.test(String(error))) throw error;
				await sleep(50);
			}
		}
		const settings = startSettings(added.members, {name: 'bench-5', peerUrls: [urls.peer], clientUrls: [urls.client]});
		cluster.startExtra('bench-5', {env: settings.env});
		for (;;) {
			try {
				await seed.memberPromote(added.member.id, 5000);
				break;
			} catch (error) {
				if (!/in sync|unhealthy|not started/i.test(String(error))) throw error;
				await sleep(50);
			}
		}
		const fresh = new MemberClient(urls.client, {dialTimeoutMs: 2000, commandTimeoutMs: 5000});
		try {
			for (;;) {
				const status = await fresh.status(2000).catch(() => undefined);
				if (status && !status.isLearner && status.leader !== '0') break;
				await sleep(50);
			}
		} finally {
			fresh.close();
		}
		return performance.now() - started;
	} finally {
		seed.close();
	}
}

async function once(megabytes: number): Promise<MemberReplaceResult> {
	const first = await loadedCluster(megabytes);
	progress(`replacing ${first.failed} with etcdtop`);
	let ours;
	try {
		ours = await withEtcdtop(first);
	} finally {
		await first.cluster.stop();
	}
	const second = await loadedCluster(megabytes);
	progress(`replacing ${second.failed} with a bare script`);
	let baselineMs;
	try {
		baselineMs = await bare(second);
	} finally {
		await second.cluster.stop();
	}
	return {
		megabytes,
		totalMs: Math.round(ours.totalMs),
		catchUpMs: Math.round(ours.catchUpMs),
		catchUpShare: Number((ours.catchUpMs / ours.totalMs).toFixed(2)),
		baselineMs: Math.round(baselineMs),
		overheadMs: Math.round(ours.totalMs - baselineMs),
	};
}

/**
 * `rounds` alternating pairs, medians reported: etcd's own "unhealthy cluster" hold-off after a member
 * change (it wants every member connected for 5 s) varies by seconds between runs and would swamp one pair.
 */
export async function benchMemberReplace(megabytes = 100, rounds = 3): Promise<MemberReplaceResult & {readonly rounds: readonly MemberReplaceResult[]}> {
	const results: MemberReplaceResult[] = [];
	for (let round = 0; round < rounds; round++) results.push(await once(megabytes));
	const median = (pick: (result: MemberReplaceResult) => number) => [...results.map(pick)].sort((a, b) => a - b)[Math.floor(results.length / 2)]!;
	return {
		megabytes,
		totalMs: median(result => result.totalMs),
		catchUpMs: median(result => result.catchUpMs),
		catchUpShare: median(result => result.catchUpShare),
		baselineMs: median(result => result.baselineMs),
		overheadMs: median(result => result.overheadMs),
		rounds: results,
	};
}

/** For bench/run.ts: one table row per figure. */
export async function run(log: (line: string) => void): Promise<BenchRow[]> {
	const result = await benchMemberReplace(100, 3);
	for (const round of result.rounds) log(`round: total ${fmt(round.totalMs)}, start + catch-up ${fmt(round.catchUpMs)}, bare script ${fmt(round.baselineMs)}`);
	return [
		{what: 'member replace, ~100 MB: removal to promoted healthy voter (column 2: bare etcd3 script)', etcdtop: fmt(result.totalMs), etcdctl: fmt(result.baselineMs), target: 'measured', isMet: true},
		{what: 'member replace: share spent starting + catching up', etcdtop: `${Math.round(result.catchUpShare * 100)}%`, target: 'measured', isMet: true},
		{what: "member replace: etcdtop's overhead beyond etcd's work", etcdtop: fmt(Math.max(0, result.overheadMs)), target: '< 1 s', isMet: result.overheadMs < 1000},
	];
}

if (import.meta.url === `file://${process.argv[1]}`) {
	console.log(JSON.stringify(await benchMemberReplace(Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 3)), null, 2));
}
