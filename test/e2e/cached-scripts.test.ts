import assert from 'node:assert/strict';
import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {runCli} from '../helpers/cli.js';

// The built CLI's cached scripts (scripts/cached-script-loader.js): the etcd client (etcd3, gRPC,
// protobufjs) and React are scripts of their own beside the chunks, whose V8 code cache is written after
// they ran, in the private cache directory.

const bundle = fileURLToPath(new URL('../../bundle/', import.meta.url));

/** `status` against a closed port of this host: the client is loaded and used, and the run fails (exit 2). */
async function statusUnreachable(base: string, env: Record<string, string> = {}) {
	const result = await runCli(['status', '--endpoints', 'http://127.0.0.1:9'], {env: {XDG_CACHE_HOME: base, ...env}});
	assert.equal(result.code, 2, result.stderr);
	return result;
}

function clientCaches(base: string): string[] {
	try {
		return readdirSync(join(base, 'etcdtop', 'v8')).filter(name => name.startsWith('etcd-client-'));
	} catch {
		return [];
	}
}

test('the bundle holds the etcd client and React once each, in scripts of their own, not in the chunks', () => {
	const files = readdirSync(bundle);
	for (const [name, path] of [['etcd-client', /node_modules\/@grpc\/grpc-js\/build\/src\/channel\.js/], ['react', /node_modules\/react-reconciler\/cjs\/react-reconciler\.production\.js/]] as const) {
		const scripts = files.filter(file => new RegExp(`^${name}-\\w+\\.cjs$`).test(file));
		assert.equal(scripts.length, 1, `${name}: ${files.join(' ')}`);
		assert.match(readFileSync(join(bundle, scripts[0]!), 'utf8'), path);
	}
	for (const name of files.filter(file => file.endsWith('.js'))) assert.doesNotMatch(readFileSync(join(bundle, name), 'utf8'), /node_modules\/(@grpc\/grpc-js|etcd3|protobufjs|react|react-reconciler|scheduler)\//, name);
});

test('a run writes the code cache once, 0600; a refused cache is written again; NODE_DISABLE_COMPILE_CACHE=1 writes none', async t => {
	const base = mkdtempSync(join(tmpdir(), 'etcdtop-client-cache-'));
	t.after(() => rmSync(base, {recursive: true, force: true}));
	await statusUnreachable(base);
	const [name, ...others] = clientCaches(base);
	assert.ok(name, 'a cache was written');
	assert.deepEqual(others, []);
	// The run failed: the cache is marked partial, for a run that ends well to replace.
	assert.match(name, new RegExp(`^etcd-client-\\w+-${process.version.replaceAll('.', '\\.')}-${process.arch}\\.partial\\.cache$`));
	const path = join(base, 'etcdtop', 'v8', name);
	const first = statSync(path);
	assert.equal(first.mode & 0o777, 0o600);
	assert.ok(first.size > 100_000, `${first.size} bytes: the functions that ran are in it`);

	await statusUnreachable(base);
	assert.equal(statSync(path).mtimeMs, first.mtimeMs, 'an accepted cache is not written again by a run that fails too');

	writeFileSync(path, 'not a code cache');
	await statusUnreachable(base);
	assert.ok(statSync(path).size > 100_000, 'V8 refused the damaged cache; a new one replaced it');

	// A refused cache from a run that ended well (read first) is removed, not read again by every run.
	const ok = path.replace(/\.partial\.cache$/, '.ok.cache');
	writeFileSync(ok, 'not a code cache either');
	await statusUnreachable(base);
	assert.deepEqual(clientCaches(base), [name], 'the refused .ok cache is gone, the partial one written anew');

	const off = mkdtempSync(join(tmpdir(), 'etcdtop-client-cache-'));
	t.after(() => rmSync(off, {recursive: true, force: true}));
	await statusUnreachable(off, {NODE_DISABLE_COMPILE_CACHE: '1'});
	assert.deepEqual(clientCaches(off), []);
});

test('no code cache is read or written where others may write', async t => {
	const base = mkdtempSync(join(tmpdir(), 'etcdtop-client-cache-'));
	t.after(() => rmSync(base, {recursive: true, force: true}));
	mkdirSync(join(base, 'etcdtop', 'v8'), {recursive: true});
	chmodSync(join(base, 'etcdtop', 'v8'), 0o777);
	await statusUnreachable(base);
	assert.deepEqual(clientCaches(base), []);
});
