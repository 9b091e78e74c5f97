#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's built-in runner, two files at a time, and
// prints each file's output when it ends, with its wall time; a table of the times closes the run.
// `node scripts/test.js unit` (or components, e2e) runs one group; a path runs one file.
import {spawn} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
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

function runFile(file) {
	return new Promise(resolve => {
		const started = performance.now();
		const child = spawn(process.execPath, ['--test', '--test-reporter=spec', file], {stdio: ['ignore', 'pipe', 'pipe']});
		const chunks = [];
		child.stdout.on('data', chunk => chunks.push(chunk));
		child.stderr.on('data', chunk => chunks.push(chunk));
		child.on('close', code => resolve({file, code, ms: performance.now() - started, output: Buffer.concat(chunks).toString('utf8')}));
	});
}

// e2e files start real etcd clusters and terminals: two at a time keep a 2-core machine responsive.
const concurrency = 2;
const started = performance.now();
const results = [];
const queue = [...files];
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
const failed = results.filter(result => result.code !== 0);
console.log('\nTime per file (wall, two files at a time):');
for (const result of [...results].sort((a, b) => b.ms - a.ms)) console.log(`  ${(result.ms / 1000).toFixed(1).padStart(6)} s  ${result.code === 0 ? 'ok  ' : 'FAIL'}  ${result.file}`);
// CI keeps only the tail of the output: repeat each failed file's failure summary (node's "failing tests"
// section, or its last lines) after the table, where it survives.
for (const result of failed) {
	const at = result.output.lastIndexOf('failing tests:');
	const summary = at >= 0 ? result.output.slice(at) : result.output.split('\n').slice(-40).join('\n');
	console.log(`\n── failures of ${result.file}\n${summary.slice(0, 6000)}`);
}
console.log(`${results.length} files in ${(wallMs / 1000).toFixed(1)} s${failed.length > 0 ? `; failed: ${failed.map(result => result.file).join(', ')}` : '; all passed'}`);
process.exit(failed.length > 0 ? 1 : 0);
