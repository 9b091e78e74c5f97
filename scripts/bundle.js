// Bundles the compiled CLI (dist/source, from tsc) into dist/bundle, which bin/etcdtop.js runs.
//
// Why: Node 20 resolves, reads and links every module file on its own, and lexes every CommonJS one
// an ES module imports. Ink, React and their ~100 small modules cost ~380 ms that way and ~100 ms as one
// file; etcd3 and gRPC ~70 ms more. Measured with `npm run bench` (readme, Performance).
//
// Each dynamic import() in cli.ts stays a separate chunk, so `etcdtop status` still never loads Ink.
// The two worker scripts are entry points of their own, beside cli.js, where `new URL('./x-worker.js',
// import.meta.url)` looks for them. Unit and component tests keep using dist/source directly.
// The etcd client (etcd3, gRPC, protobufjs, cockatiel) and React are CommonJS scripts of their own, run
// with a code cache written after they ran (cached-script-loader.js). etcd3 and meow are changed as they are bundled
// (bundle-plugins.js); Ink is patched at install (patches/), so tests and bundle share it. scripts/package.js builds the single-file executable from
// the same sources and plugins.
import {build} from 'esbuild';
import {mkdir, rm} from 'node:fs/promises';
import {assertNoCachedScriptPackagesIn, buildCachedScripts, builtinsRequired, cachedScriptImports, dependencyPatches, etcd3Modules, packageDefine, patches} from './bundle-plugins.js';

const outdir = 'dist/bundle';

await rm(outdir, {recursive: true, force: true});
// The etcd client and React: scripts of their own beside the chunks (cached-script-loader.js).
await mkdir(outdir, {recursive: true});
const cachedScriptFiles = await buildCachedScripts(build, outdir, {
	platform: 'node',
	target: 'node20',
	plugins: [builtinsRequired, etcd3Modules, patches(dependencyPatches)],
	logLevel: 'warning',
});
const {metafile} = await build({
	entryPoints: ['dist/source/cli.js', 'dist/source/snapshot/file/sha256-worker.js', 'dist/source/snapshot/file/verify-worker.js'],
	entryNames: '[name]',
	outdir,
	bundle: true,
	splitting: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	// Native addons load from node_modules as before; react-devtools-core is only imported by Ink with DEV=true.
	external: ['ssh2', '@node-rs/crc32', 'react-devtools-core'],
	// CommonJS dependencies call require() for Node's own modules.
	banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
	define: packageDefine,
	plugins: [builtinsRequired, cachedScriptImports(cachedScriptFiles), patches(dependencyPatches)],
	logLevel: 'warning',
	metafile: true,
});
assertNoCachedScriptPackagesIn(metafile);
