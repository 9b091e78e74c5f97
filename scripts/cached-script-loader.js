// CommonJS dependencies of the built CLI (dist/bundle and the single-file build) that run as scripts
// of their own: the etcd client (etcd3, gRPC, protobufjs, cockatiel) and React with its reconciler,
// each bundled by bundle-plugins.js (cachedScripts) into one script, `<name>-<hash>.cjs` beside the
// chunks (an asset in the single-file build), and run from here the first time a chunk imports one of
// its packages.
//
// Why scripts of their own: they are ~1 MB of JavaScript each, most of it functions V8 compiles lazily
// on their first call, and Node's compile cache is written right after a module is compiled, before any
// of them ran: every start compiled the same few hundred functions again (~15% of `status`'s CPU). A
// vm.Script can write its code cache after it ran (script.createCachedData()), with every function
// compiled so far; read back, none of them is compiled again. On Node 20, which has no compile cache,
// this is also the only cache of the largest part of the code.
//
// The caches live where Node's compile cache of etcdtop lives (bin/compile-cache.cjs: private to this
// user, off with NODE_DISABLE_COMPILE_CACHE=1), 0600. One is written at exit when there was none or V8
// refused it (another Node, other flags), and once more by the first run that ends with exit code 0
// after one that did not (a first run against an unreachable cluster never calls most of the client).
// Each build and Node version has a cache of its own; one not written for 14 days is removed.
// ETCDTOP_CACHED_SCRIPTS, the scripts' file names by name (JSON), is defined by the build.
/* global ETCDTOP_CACHED_SCRIPTS */
import {existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join} from 'node:path';
import {Script} from 'node:vm';
import compileCache from '../bin/compile-cache.cjs';

const scriptFiles = JSON.parse(ETCDTOP_CACHED_SCRIPTS);
/** A cache not written for this long is removed when another is written (each build has its own). */
const staleMs = 14 * 24 * 3600 * 1000;
const cacheName = /^[\w-]+-v\d+\.\d+\.\d+-\w+\.(ok|partial)\.cache$/;

const loaded = new Map();

function sourceOf(url, file) {
	// ASCII but for comment lines (bundle-plugins.js checks), so latin1 reads the same code as UTF-8
	// would, without decoding ~1 MB.
	if (url.protocol === 'sea:') return Buffer.from(process.getBuiltinModule('node:sea').getAsset(file)).toString('latin1');
	return readFileSync(url, 'latin1');
}

/** Reads the cache written by a run that ended with exit code 0, else one that did not. */
function readCache(dir, stem) {
	for (const isComplete of [true, false]) {
		const path = join(dir, `${stem}.${isComplete ? 'ok' : 'partial'}.cache`);
		try {
			return {data: readFileSync(path), isComplete, path};
		} catch {}
	}
	return undefined;
}

function writeCache(dir, stem, data, isComplete) {
	const path = join(dir, `${stem}.${isComplete ? 'ok' : 'partial'}.cache`);
	const temporary = `${path}.${process.pid}.tmp`;
	try {
		writeFileSync(temporary, data, {mode: 0o600});
		renameSync(temporary, path);
		if (isComplete && existsSync(join(dir, `${stem}.partial.cache`))) unlinkSync(join(dir, `${stem}.partial.cache`));
		for (const name of readdirSync(dir)) {
			if (!cacheName.test(name)) continue;
			const other = join(dir, name);
			if (Date.now() - statSync(other).mtimeMs > staleMs) unlinkSync(other);
		}
	} catch {
		try {
			if (existsSync(temporary)) unlinkSync(temporary);
		} catch {}
	}
}

/** The packages of the script `name` (bundle-plugins.js cachedScripts) by specifier, each built when first read. */
export function cachedScript(name) {
	if (loaded.has(name)) return loaded.get(name);
	const file = scriptFiles[name];
	const url = new URL(`./${file}`, import.meta.url);
	const filename = url.protocol === 'file:' ? url.pathname : url.href;
	const dir = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : compileCache.etcdtopCacheDirectory();
	const stem = `${file.replace(/\.cjs$/, '')}-${process.version}-${process.arch}`;
	const cache = dir === undefined ? undefined : readCache(dir, stem);
	const script = new Script(sourceOf(url, file), {filename, ...(cache ? {cachedData: cache.data} : {})});
	if (dir !== undefined) {
		const isUsable = cache !== undefined && !script.cachedDataRejected;
		process.once('exit', code => {
			const isComplete = code === 0;
			if (isUsable && (cache.isComplete || !isComplete)) return;
			// One V8 refused would be read first again by every later run.
			if (cache !== undefined && !isUsable) {
				try {
					unlinkSync(cache.path);
				} catch {}
			}
			writeCache(dir, stem, script.createCachedData(), isComplete);
		});
	}
	const module = {exports: {}};
	// Node's own modules only: the script holds everything else it needs.
	script.runInThisContext()(module.exports, createRequire(import.meta.url), module, filename, filename.replace(/\/[^/]*$/, ''));
	loaded.set(name, module.exports);
	return module.exports;
}
