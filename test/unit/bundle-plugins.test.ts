import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Bundles `entry` with the project's bundler plugins, as scripts/bundle.js does, and runs it. */
async function runBundled(t: {after: (fn: () => void) => void}, entry: string): Promise<string> {
	const {build} = (await import('esbuild')) as typeof import('esbuild');
	const plugins = (await import(new URL('scripts/bundle-plugins.js', `file://${repo}`).href)) as {inkTextCaches: import('esbuild').Plugin};
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-bundle-'));
	t.after(() => rmSync(dir, {recursive: true, force: true}));
	writeFileSync(join(dir, 'entry.mjs'), entry);
	await build({entryPoints: [join(dir, 'entry.mjs')], outfile: join(dir, 'out.mjs'), bundle: true, platform: 'node', format: 'esm', plugins: [plugins.inkTextCaches], logLevel: 'silent'});
	return execFileSync(process.execPath, ['--expose-gc', join(dir, 'out.mjs')], {encoding: 'utf8'});
}

test("the bundle's Ink forgets old strings and keeps wrapped texts of different widths apart", async t => {
	const ink = join(repo, 'node_modules/ink/build');
	const out = await runBundled(
		t,
		`import measureText from ${JSON.stringify(join(ink, 'measure-text.js'))};
		import wrapText from ${JSON.stringify(join(ink, 'wrap-text.js'))};
		const heap = () => { globalThis.gc(); return process.memoryUsage().heapUsed; };
		const padding = 'x'.repeat(200);
		for (let i = 0; i < 5000; i++) { measureText(padding + i); wrapText(padding + i, 80, 'truncate'); }
		const before = heap();
		for (let i = 5000; i < 45000; i++) { measureText(padding + i); wrapText(padding + i, 80, 'truncate'); }
		const grown = heap() - before;
		console.log(JSON.stringify({grown, wide: wrapText('ab', 12, 'wrap'), narrow: wrapText('ab1', 2, 'wrap')}));`,
	);
	const {grown, wide, narrow} = JSON.parse(out) as {grown: number; wide: string; narrow: string};
	// Kept forever, 40,000 strings of 200 characters would be over 15 MB (twice: measured and wrapped).
	assert.ok(grown < 5_000_000, `heap grew by ${grown} bytes over 40,000 distinct strings`);
	assert.equal(wide, 'ab');
	assert.equal(narrow, 'ab\n1');
});
