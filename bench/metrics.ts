// What reading /metrics costs the console: two consoles on one 5-member cluster at a 1 s interval, side
// by side over the same minutes (so the machine's other load falls on both), one with --metrics-every 0
// and one reading every member's /metrics every 5 s (the default). Also the parse of one real /metrics
// text, alone. `npm run bench -- metrics`, or `node dist/bench/metrics.js` after `npm run build`.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {parseEtcdMetrics} from '../source/model/etcd-metrics.js';
import {createRoutes} from '../source/route/routes.js';
import {TmuxSession} from '../test/helpers/tmux.js';
import {cpuSeconds, median, type BenchRow} from './measure.js';
import {allOk, consolePid, row} from './screen.js';

const cli = fileURLToPath(new URL('../../bin/etcdtop.js', import.meta.url));
const fixture = fileURLToPath(new URL('../../test/fixtures/metrics-etcd-3.5.30.txt', import.meta.url));

/** Microseconds to parse one /metrics text of etcd 3.5 (~166 KB) in the 4 KB pieces etcd sends, median of 200 after warm-up. */
function parseMicros(): number {
	const whole = readFileSync(fixture);
	const pieces: Uint8Array[] = [];
	for (let start = 0; start < whole.length; start += 4096) pieces.push(whole.subarray(start, start + 4096));
	for (let index = 0; index < 50; index++) parseEtcdMetrics(pieces);
	const times: number[] = [];
	for (let index = 0; index < 200; index++) {
		const started = performance.now();
		parseEtcdMetrics(pieces);
		times.push((performance.now() - started) * 1000);
	}
	return median(times);
}

/**
 * CPU (this process, user + system) of one member's /metrics read as the console does it, the GET
 * through the routes (a kept connection) and the parse, over `rounds` reads of every member spaced
 * as a poll would space them; after a warm-up.
 */
async function readMillis(endpoints: readonly string[], rounds = 60): Promise<number> {
	const routes = createRoutes({dialTimeoutMs: 2000, commandTimeoutMs: 2000});
	const read = async (endpoint: string) => parseEtcdMetrics((await routes.httpGet(endpoint, '/metrics', {timeoutMs: 2000})).bytes ?? '');
	try {
		for (let round = 0; round < 10; round++) await Promise.all(endpoints.map(read));
		const before = process.cpuUsage();
		for (let round = 0; round < rounds; round++) {
			await Promise.all(endpoints.map(read));
			await new Promise(resolve => setTimeout(resolve, 50));
		}
		const used = process.cpuUsage(before);
		return (used.user + used.system) / 1000 / (rounds * endpoints.length);
	} finally {
		await routes.close();
	}
}

export async function run(log: (line: string) => void = console.log, {warmupSeconds = 30, soakSeconds = 90} = {}): Promise<BenchRow[]> {
	const parseUs = parseMicros();
	log(`parse one etcd 3.5 /metrics text (${(readFileSync(fixture).length / 1000).toFixed(0)} KB, 13 families kept): ${parseUs.toFixed(0)} µs median`);
	const cluster = await LocalCluster.start({members: 5, namePrefix: 'bench'});
	const names = cluster.members.map(member => member.name);
	const endpoints = cluster.endpoints.join(',');
	const sessions: TmuxSession[] = [];
	try {
		const readMs = await readMillis(cluster.endpoints);
		log(`one member's /metrics read (GET on a kept connection + parse), CPU: ${readMs.toFixed(2)} ms; 5 members every 5 s: ${(readMs / 10).toFixed(2)}% of a core`);
		const without = TmuxSession.start([process.execPath, cli, '--endpoints', endpoints, '--metrics-every', '0']);
		sessions.push(without);
		const withMetrics = TmuxSession.start([process.execPath, cli, '--endpoints', endpoints]);
		sessions.push(withMetrics);
		await without.waitFor(allOk(names), 30_000);
		// The metrics columns fill once a second read gives a window (5 s after the first).
		await withMetrics.waitFor(screen => allOk(names)(screen) && screen.includes('FSYNC p99'), 30_000);
		// V8 compiles the hot paths during the first minute; measure after.
		await new Promise(resolve => setTimeout(resolve, warmupSeconds * 1000));
		const pids = [consolePid(without), consolePid(withMetrics)] as const;
		const before = pids.map(cpuSeconds);
		const started = performance.now();
		await new Promise(resolve => setTimeout(resolve, soakSeconds * 1000));
		const seconds = (performance.now() - started) / 1000;
		const [off, on] = pids.map((pid, index) => ((cpuSeconds(pid) - before[index]!) / seconds) * 100) as [number, number];
		const screen = withMetrics.capture();
		const isReading = names.every(name => !/n\/a/.test(row(screen, name)));
		const extra = on - off;
		log(`console over ${soakSeconds}s, 5 members, 1s interval: ${off.toFixed(2)}% of a core without /metrics, ${on.toFixed(2)}% reading them every 5s (+${extra.toFixed(2)} points)${isReading ? '' : '; some member\'s metrics could not be read'}`);
		return [
			{what: 'parse one /metrics text (etcd 3.5, 166 KB, in 4 KB pieces)', etcdtop: `${parseUs.toFixed(0)} µs`, target: '-', isMet: true},
			{what: 'one /metrics read, GET on a kept connection + parse, CPU', etcdtop: `${readMs.toFixed(2)} ms (5 members every 5 s: ${(readMs / 10).toFixed(2)}% of a core)`, target: '-', isMet: true},
			{what: `console CPU, 5 members, 1 s interval: with /metrics every 5 s vs without`, etcdtop: `${on.toFixed(2)}% vs ${off.toFixed(2)}% of a core (+${extra.toFixed(2)})`, target: '< +0.5% of a core', isMet: extra < 0.5 && isReading},
		];
	} finally {
		for (const session of sessions) session.close();
		await cluster.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	for (const line of await run()) console.log(`| ${line.what} | ${line.etcdtop} | ${line.target} | ${line.isMet ? 'yes' : 'NO'} |`);
}
