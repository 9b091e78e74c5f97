#!/usr/bin/env node
// Runs every compiled test file under dist/test, each in a Node process of its own (node:test runs the
// file's tests; its exit code says whether they passed), two files at a time, and prints each file's
// output when it ends, with its wall time; a table of the times closes the run.
// `node scripts/test.js unit` (or components, e2e) runs one group; a path runs one file.
import {spawn} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {cpus, loadavg} from 'node:os';
import {join, relative} from 'node:path';

const args = process.argv.slice(2);
const groups = args.length > 0 ? args : ['unit', 'components', 'e2e'];

/** A compiled test whose source is gone (renamed, deleted) stays in dist/ until a clean build: skip it. */
function hasSource(path) {
	const base = relative(join('dist', 'test'), path).replace(/\.js$/, '');
	return existsSync(join('test', `${base}.ts`)) || existsSync(join('test', `${base}.tsx`));
}

function collect(dir) {
	let entries;
	try {
		entries = readdirSync(dir);
	} catch {
		return [];
	}
	return entries.sort().flatMap(entry => {
		const path = join(dir, entry);
		if (statSync(path).isDirectory()) return collect(path);
		return entry.endsWith('.test.js') && hasSource(path) ? [path] : [];
	});
}

const files = groups.flatMap(group => (group.endsWith('.js') ? [group] : collect(join('dist', 'test', group))));
if (files.length === 0) {
	console.error('no test files found: run `npm run build` first');
	process.exit(1);
}

const reportCpu = `data:text/javascript,${encodeURIComponent("import {writeSync} from 'node:fs'; process.on('exit', () => { const {user, system} = process.cpuUsage(); try { writeSync(3, String((user + system) / 1000)); } catch {} });")}`;

function runFile(file) {
	return new Promise(resolve => {
		const started = performance.now();
		// The file runs as the test process itself: `node --test FILE` would start a runner process that starts
		// the file in a second one, a Node start-up more per file (~0.15 s of CPU, 60 files).
		// On a shared machine the wall time says as much about the others' load as about the file: the test
		// process reports its own CPU time (user + system, its children not counted) on fd 3 as it exits.
		// React runs as in the console, whose first module sets NODE_ENV=production (source/process-setup.ts);
		// a component test cannot import that first itself (the compiler puts react/jsx-runtime's import
		// above it), and React's development build renders at about twice the CPU.
		const env = {...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production'};
		const child = spawn(process.execPath, ['--test-reporter=spec', `--import=${reportCpu}`, file], {env, stdio: ['ignore', 'pipe', 'pipe', 'pipe']});
		const chunks = [];
		let cpu = '';
		child.stdout.on('data', chunk => chunks.push(chunk));
		child.stderr.on('data', chunk => chunks.push(chunk));
		child.stdio[3].on('data', chunk => (cpu += chunk));
		child.on('close', code => resolve({file, code, ms: performance.now() - started, cpuMs: Number.parseFloat(cpu) || undefined, output: Buffer.concat(chunks).toString('utf8')}));
	});
}

// e2e files start real etcd clusters and terminals: two at a time keep a 2-core machine responsive.
const concurrency = 2;
const loadAtStart = loadavg();
const started = performance.now();
const results = [];
// The longest files start first (by their last run's wall time, kept in dist/): two at a time, a long
// file started last would leave one runner idle while it finishes.
const timesFile = join('dist', 'test-times.json');
let lastTimes = {};
try {
	lastTimes = JSON.parse(readFileSync(timesFile, 'utf8'));
} catch {}
const queue = [...files].sort((a, b) => (lastTimes[b] ?? 0) - (lastTimes[a] ?? 0));
await Promise.all(
	Array.from({length: Math.min(concurrency, queue.length)}, async () => {
		for (let file = queue.shift(); file; file = queue.shift()) {
			const result = await runFile(file);
			results.push(result);
			process.stdout.write(`\n── ${result.file} (${(result.ms / 1000).toFixed(1)} s)${result.code === 0 ? '' : ' FAILED'}\n${result.output}`);
		}
	}),
);
const wallMs = performance.now() - started;
try {
	writeFileSync(timesFile, JSON.stringify({...lastTimes, ...Object.fromEntries(results.map(result => [result.file, Math.round(result.ms)]))}));
} catch {}
const failed = results.filter(result => result.code !== 0);
const seconds = ms => (ms === undefined ? '?' : (ms / 1000).toFixed(1)).padStart(6);
console.log('\nTime per file (wall, two files at a time; CPU of the test process):');
for (const result of [...results].sort((a, b) => b.ms - a.ms)) console.log(`  ${seconds(result.ms)} s  ${seconds(result.cpuMs)} s CPU  ${result.code === 0 ? 'ok  ' : 'FAIL'}  ${result.file}`);
// CI keeps only the tail of the output: repeat each failed file's failure summary (node's "failing tests"
// section, or its last lines) after the table, where it survives.
for (const result of failed) {
	const at = result.output.lastIndexOf('failing tests:');
	const summary = at >= 0 ? result.output.slice(at) : result.output.split('\n').slice(-40).join('\n');
	console.log(`\n── failures of ${result.file}\n${summary.slice(0, 6000)}`);
}
const cpuMs = results.reduce((sum, result) => sum + (result.cpuMs ?? 0), 0);
const load = os => os.map(value => value.toFixed(1)).join(' ');
console.log(`Node ${process.version} (${process.execPath}); load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end (${cpus().length} cores); ${(cpuMs / 1000).toFixed(1)} s CPU in the test processes`);
console.log(`${results.length} files in ${(wallMs / 1000).toFixed(1)} s${failed.length > 0 ? `; failed: ${failed.map(result => result.file).join(', ')}` : '; all passed'}`);
process.exit(failed.length > 0 ? 1 : 0);
