#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's built-in runner, so CI reads its summary.
// `node scripts/test.js unit` (or components, e2e) runs one group.
import {spawnSync} from 'node:child_process';
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';

const groups = process.argv.slice(2);
const roots = (groups.length > 0 ? groups : ['unit', 'components', 'e2e']).map(group => join('dist', 'test', group));

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
		return entry.endsWith('.test.js') ? [path] : [];
	});
}

const files = roots.flatMap(collect);
if (files.length === 0) {
	console.error('no test files found: run `npm run build` first');
	process.exit(1);
}
// e2e files start real etcd clusters and terminals: two at a time keep a 2-core machine responsive.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {stdio: 'inherit'});
process.exit(result.status ?? 1);
