// Builds of etcdtop side by side on one 5-member cluster, to tell a change from the machine's load:
// `node dist/bench/compare.js [--rounds N] [--soak S] [--warmup W] [--stops N] [--status N] NAME=DIR ...`, where each DIR is
// a checkout with a build (its bin/etcdtop.js). On a shared machine only such alternated runs compare:
// - the console's first complete frame, every build once per round, in turn, with the CPU its process
//   had used by then (from /proc);
// - `status -w json` (3 of the 5 members), alternated, wall and CPU (wait4, through /usr/bin/time);
// - all consoles at once over the same seconds after a warm-up (and --stops SIGSTOP rounds of one member, as
//   bench/console.ts has before its soak): CPU share, peak RSS, and frames drawn
//   (bytes the console wrote to its terminal, sampled from /proc/PID/io's wchar).
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {TmuxSession} from '../test/helpers/tmux.js';
import {cpuSeconds, fmt, median, memoryMb} from './measure.js';
import {allOk, consolePid, row, screenAfter} from './screen.js';

interface Build {
	readonly name: string;
	readonly cli: string;
	/** More arguments of the console (and `status`), and its environment (`@KEY=VALUE` items). */
	readonly args: readonly string[];
	readonly env: Readonly<Record<string, string>>;
	/** Node's own options (`^--flag` items). */
	readonly nodeArgs: readonly string[];
}

function written(pid: number): number {
	return Number(/wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

async function statusRun({cli, args, env, nodeArgs}: Build, endpoints: string): Promise<{ms: number; cpuMs: number}> {
	const started = performance.now();
	const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...nodeArgs, cli, 'status', '-w', 'json', '--endpoints', endpoints, ...args], {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, ...env}});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
	await new Promise(resolve => child.on('close', resolve));
	const ms = performance.now() - started;
	const [user, system] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
	return {ms, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000};
}

function option(args: string[], name: string, fallback: number): number {
	const index = args.indexOf(name);
	if (index === -1) return fallback;
	const [, value] = args.splice(index, 2);
	return Number(value);
}

const args = process.argv.slice(2);
const rounds = option(args, '--rounds', 7);
const statusRounds = option(args, '--status', 0);
const soakSeconds = option(args, '--soak', 60);
const warmupSeconds = option(args, '--warmup', 20);
const stops = option(args, '--stops', 0);
// NAME=DIR[,ARG...]: ARGs are added to the command line, @KEY=VALUE ones set its environment, ^ARG ones are Node's.
const builds: Build[] = args.map(spec => {
	const [name, rest] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
	const [dir, ...extra] = rest.split(',') as [string, ...string[]];
	const env = Object.fromEntries(extra.filter(item => item.startsWith('@')).map(item => [item.slice(1, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]));
	return {name, cli: join(resolve(dir), 'bin', 'etcdtop.js'), args: extra.filter(item => !/^[@^]/.test(item)), env, nodeArgs: extra.filter(item => item.startsWith('^')).map(item => item.slice(1))};
});
if (builds.length === 0) {
	console.error('usage: node dist/bench/compare.js [--rounds N] [--status N] [--soak S] [--warmup W] NAME=DIR ...');
	process.exit(3);
}

const cluster = await LocalCluster.start({members: 5, namePrefix: 'bench'});
const names = cluster.members.map(member => member.name);
const endpoints = cluster.endpoints.join(',');
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
try {
	console.log(`load ${load()}`);
	if (statusRounds > 0) {
		const three = cluster.endpoints.slice(0, 3).join(',');
		const samples = new Map(builds.map(build => [build.name, [] as Array<{ms: number; cpuMs: number}>]));
		for (const build of builds) await statusRun(build, three);
		for (let round = 0; round < statusRounds; round++) {
			for (const build of builds) samples.get(build.name)!.push(await statusRun(build, three));
		}
		for (const build of builds) {
			const runs = samples.get(build.name)!;
			console.log(`status -w json (3 members) ${build.name}: ${fmt(median(runs.map(run => run.ms)))}, ${fmt(median(runs.map(run => run.cpuMs)))} CPU (medians of ${statusRounds})`);
		}
		console.log(`load ${load()}`);
	}
	if (rounds > 0) {
		const frames = new Map(builds.map(build => [build.name, [] as Array<{ms: number; cpuMs: number}>]));
		for (let round = -1; round < rounds; round++) {
			for (const build of builds) {
				const started = performance.now();
				const session = TmuxSession.start([process.execPath, ...build.nodeArgs, build.cli, '--endpoints', endpoints, ...build.args], {env: build.env});
				try {
					const ms = await screenAfter(session, allOk(names), started);
					const cpuMs = cpuSeconds(consolePid(session)) * 1000;
					// Round -1 writes the caches.
					if (round >= 0) frames.get(build.name)!.push({ms, cpuMs});
				} finally {
					session.close();
				}
			}
		}
		for (const build of builds) {
			const runs = frames.get(build.name)!;
			console.log(`first complete frame ${build.name}: ${fmt(median(runs.map(run => run.ms)))}, ${fmt(median(runs.map(run => run.cpuMs)))} CPU (medians of ${rounds}; ${runs.map(run => fmt(run.ms)).join(', ')})`);
		}
		console.log(`load ${load()}`);
	}
	if (soakSeconds > 0) {
		const sessions = builds.map(build => TmuxSession.start([process.execPath, ...build.nodeArgs, build.cli, '--endpoints', endpoints, ...build.args], {env: build.env}));
		try {
			for (const session of sessions) await screenAfter(session, allOk(names));
			// As bench/console.ts does before its soak: a member stopped until every console shows it as
			// timeout, then let go, at a random point of the poll cycle.
			const victim = names[2]!;
			for (let round = 0; round < stops; round++) {
				await new Promise(resolve => setTimeout(resolve, 1000 + Math.random() * 1000));
				cluster.signal(victim, 'SIGSTOP');
				try {
					for (const session of sessions) await screenAfter(session, screen => / timeout /.test(row(screen, victim)));
				} finally {
					cluster.signal(victim, 'SIGCONT');
				}
				for (const session of sessions) await screenAfter(session, allOk(names));
			}
			await new Promise(resolve => setTimeout(resolve, warmupSeconds * 1000));
			const pids = sessions.map(consolePid);
			const cpuBefore = pids.map(cpuSeconds);
			const bytesBefore = pids.map(written);
			const peaks = pids.map(() => 0);
			const started = performance.now();
			for (let second = 0; second < soakSeconds; second++) {
				await new Promise(resolve => setTimeout(resolve, 1000));
				pids.forEach((pid, index) => (peaks[index] = Math.max(peaks[index]!, memoryMb(pid).rss)));
			}
			const seconds = (performance.now() - started) / 1000;
			builds.forEach((build, index) => {
				const share = ((cpuSeconds(pids[index]!) - cpuBefore[index]!) / seconds) * 100;
				const bytes = (written(pids[index]!) - bytesBefore[index]!) / seconds;
				console.log(`console ${build.name} over ${soakSeconds}s (after ${warmupSeconds}s): ${share.toFixed(2)}% of a core, peak RSS ${peaks[index]!.toFixed(0)} MB (VmHWM ${memoryMb(pids[index]!).peak.toFixed(0)} MB), ${(bytes / 1024).toFixed(1)} KB/s written`);
			});
			console.log(`load ${load()}`);
		} finally {
			for (const session of sessions) session.close();
		}
	}
} finally {
	await cluster.stop();
}
