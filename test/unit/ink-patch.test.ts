import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';

// The Ink the tests import is the Ink the bundle contains: patches/ink+6.8.0.patch, applied at install.
const inkBuild = join(dirname(createRequire(import.meta.url).resolve('ink')));
const count = (text: string, part: string) => text.split(part).length - 1;

test('installed Ink carries each change of the patch exactly once, and none of what it replaced', () => {
	const expected: Record<string, {readonly present: readonly string[]; readonly gone: readonly string[]}> = {
		'measure-text.js': {present: ["import BoundedCache from './bounded-cache.js';", 'const cache = new BoundedCache();'], gone: ['const cache = new Map();']},
		'wrap-text.js': {
			present: ["import BoundedCache from './bounded-cache.js';", 'const cache = new BoundedCache();', "String(wrapType) + '\\u0000' + text;", 'cache.get(cacheKey)', 'cache.set(cacheKey, wrappedText)'],
			gone: ['const cache = {};', 'cache[cacheKey]'],
		},
		'output.js': {
			present: ["import BoundedCache from './bounded-cache.js';", 'styledChars = new BoundedCache(300);', 'const sharedCaches = new OutputCaches();', 'caches = sharedCaches;'],
			gone: ['new Map();', 'caches = new OutputCaches();'],
		},
	};
	for (const [file, {present, gone}] of Object.entries(expected)) {
		const text = readFileSync(join(inkBuild, file), 'utf8');
		for (const part of present) assert.equal(count(text, part), 1, `${file}: "${part}" should appear once; run npm ci (patch-package applies patches/)`);
		for (const part of gone) assert.equal(count(text, part), 0, `${file}: "${part}" should be patched away`);
	}
});

test("Ink's bounded cache answers what it was given and never holds more than its limit", async () => {
	const {default: BoundedCache} = (await import(pathToFileURL(join(inkBuild, 'bounded-cache.js')).href)) as {
		default: new (limit?: number) => {size: number; get(key: string): unknown; set(key: string, value: unknown): unknown};
	};
	const cache = new BoundedCache(3);
	cache.set('a', 1);
	cache.set('b', 2);
	cache.set('c', 3);
	assert.equal(cache.get('b'), 2);
	cache.set('b', 20);
	assert.equal(cache.size, 3, 'replacing a key does not start over');
	assert.equal(cache.get('b'), 20);
	cache.set('d', 4);
	assert.equal(cache.size, 1, 'a new key in a full cache starts over');
	assert.equal(cache.get('d'), 4);
	assert.equal(cache.get('a'), undefined);
	for (let index = 0; index < 10_000; index++) cache.set(`frame ${index}`, index);
	assert.ok(cache.size <= 3);
});

test('Ink forgets old strings and keeps wrapped texts of different widths apart', () => {
	const measure = pathToFileURL(join(inkBuild, 'measure-text.js')).href;
	const wrap = pathToFileURL(join(inkBuild, 'wrap-text.js')).href;
	const out = execFileSync(
		process.execPath,
		[
			'--expose-gc',
			'--input-type=module',
			'-e',
			`import measureText from ${JSON.stringify(measure)};
			import wrapText from ${JSON.stringify(wrap)};
			const heap = () => { globalThis.gc(); return process.memoryUsage().heapUsed; };
			const padding = 'x'.repeat(200);
			for (let i = 0; i < 3000; i++) { measureText(padding + i); wrapText(padding + i, 400, 'truncate'); }
			const before = heap();
			for (let i = 3000; i < 23000; i++) { measureText(padding + i); wrapText(padding + i, 400, 'truncate'); }
			console.log(JSON.stringify({grown: heap() - before, wide: wrapText('ab', 12, 'wrap'), narrow: wrapText('ab1', 2, 'wrap')}));`,
		],
		{encoding: 'utf8'},
	);
	const {grown, wide, narrow} = JSON.parse(out) as {grown: number; wide: string; narrow: string};
	// Kept forever, 20,000 strings of 200 characters would be over 8 MB (twice: measured and wrapped).
	assert.ok(grown < 3_000_000, `heap grew by ${grown} bytes over 20,000 distinct strings`);
	assert.equal(wide, 'ab');
	assert.equal(narrow, 'ab\n1');
});
