// The esbuild plugins scripts/bundle.js builds with: each changes one installed dependency's file, as it
// is bundled, for a reason given beside it, and fails the build if that file no longer looks as expected.
import {existsSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {basename} from 'node:path';
import {fileURLToPath} from 'node:url';

/** Replaces each `[from, to]` in `text` and insists every `from` occurred exactly once. */
function replaceEach(path, text, pairs) {
	let result = text;
	for (const [from, to] of pairs) {
		if (result.split(from).length !== 2) throw new Error(`${path}: expected "${from}" once; update scripts/bundle-plugins.js for this version`);
		result = result.replace(from, () => to);
	}
	return result;
}

/**
 * etcd3 reads its .proto files from `${__dirname}/../proto` when it is imported; inside the bundle
 * __dirname would be dist/bundle, so the path is pointed back at the installed etcd3 package.
 */
export const etcd3ProtoPath = {
	name: 'etcd3-proto-path',
	setup(builder) {
		builder.onLoad({filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/}, async ({path}) => {
			const text = await readFile(path, 'utf8');
			const patched = text.replaceAll('${__dirname}', "${require('node:path').dirname(require.resolve('etcd3'))}");
			if (patched === text) throw new Error(`${path}: etcd3 no longer loads its protos from __dirname; update scripts/bundle-plugins.js`);
			return {contents: patched, loader: 'js'};
		});
	},
};

const textCache = fileURLToPath(new URL('../dist/source/ui/text-cache.js', import.meta.url));
const importTextCache = `import {TextCache as __TextCache} from ${JSON.stringify(textCache)};\n`;

/**
 * Ink 6 caches every string it measures or wraps, forever (vadimdemedes/ink#986): a console that draws
 * new latencies and ages every second grows without end. Both caches become source/ui/text-cache.ts's
 * bounded one. The wrap cache's key also puts the text last, after separators, so that "ab" at width
 * 12 and "ab1" at width 2 no longer share the key "ab12" (vadimdemedes/ink#998).
 *
 * Ink's Output also caches each line's styled characters and widths, but only for one frame, so every
 * frame tokenizes every line again although most lines did not change: those caches (bounded the same
 * way; the styled lines, a few kilobytes each, to 300) now live from frame to frame. Output reads the
 * cached characters and never changes them.
 */
export const inkTextCaches = {
	name: 'ink-text-caches',
	setup(builder) {
		builder.onLoad({filter: /[\\/]ink[\\/]build[\\/](measure-text|wrap-text|output)\.js$/}, async ({path}) => {
			if (!existsSync(textCache)) throw new Error(`${textCache} is missing: run tsc before bundling`);
			const text = await readFile(path, 'utf8');
			const pairs = {
				'measure-text.js': [['const cache = new Map();', 'const cache = new __TextCache();']],
				'wrap-text.js': [
					['const cache = {};', 'const cache = new __TextCache();'],
					["const cacheKey = text + String(maxWidth) + String(wrapType);", "const cacheKey = String(maxWidth) + '\\u0000' + String(wrapType) + '\\u0000' + text;"],
					['const cachedText = cache[cacheKey];', 'const cachedText = cache.get(cacheKey);'],
					['cache[cacheKey] = wrappedText;', 'cache.set(cacheKey, wrappedText);'],
				],
				'output.js': [
					['    widths = new Map();\n    blockWidths = new Map();\n    styledChars = new Map();', '    widths = new __TextCache();\n    blockWidths = new __TextCache();\n    styledChars = new __TextCache(300);'],
					['export default class Output {', 'const sharedCaches = new OutputCaches();\nexport default class Output {'],
					['    caches = new OutputCaches();', '    caches = sharedCaches;'],
				],
			}[basename(path)];
			return {contents: importTextCache + replaceEach(path, text, pairs), loader: 'js'};
		});
	},
};
