import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {buildConfig} from '../../source/config/config.js';
import {ConfigError} from '../../source/config/errors.js';
import {connectOptionsOf} from '../../source/config/connect-options.js';
import {configError} from '../helpers/config-error.js';

// A CA certificate whose key was thrown away: TLS files are parsed before anything connects.
const caPem = readFileSync(new URL('../../../test/fixtures/tls/ca.crt', import.meta.url));
const noFiles = (path: string): Buffer => {
	if (path.endsWith('.pem')) return caPem;
	throw Object.assign(new Error('missing'), {code: 'ENOENT'});
};


test('defaults follow etcdctl', () => {
	const config = buildConfig({}, {}, noFiles);
	assert.deepEqual(config.endpoints, ['http://127.0.0.1:2379']);
	assert.equal(config.dialTimeoutMs, 2000);
	assert.equal(config.commandTimeoutMs, 5000);
	assert.equal(config.intervalMs, 1000);
	assert.equal(config.probeTimeoutMs, 1000);
	assert.equal(config.isDiscovering, true);
	assert.equal(config.isReadOnly, false);
	assert.equal(config.tls, undefined);
	assert.ok(Object.isFrozen(config));
});

test('a flag wins over its ETCDCTL_ variable, which wins over the default', () => {
	const env = {ETCDCTL_ENDPOINTS: 'a:1,b:2', ETCDCTL_DIAL_TIMEOUT: '3s', ETCDCTL_COMMAND_TIMEOUT: '7s'};
	const fromEnv = buildConfig({}, env, noFiles);
	assert.deepEqual(fromEnv.endpoints, ['http://a:1', 'http://b:2']);
	assert.equal(fromEnv.dialTimeoutMs, 3000);
	const fromFlag = buildConfig({endpoints: 'c:3', commandTimeout: '1s'}, env, noFiles);
	assert.deepEqual(fromFlag.endpoints, ['http://c:3']);
	assert.equal(fromFlag.commandTimeoutMs, 1000);
	assert.equal(fromFlag.dialTimeoutMs, 3000);
});

test('endpoints: schemes, TLS defaulting and duplicates', () => {
	assert.deepEqual(buildConfig({endpoints: 'https://h:1, http://h:2,h:2'}, {}, noFiles).endpoints, ['https://h:1', 'http://h:2']);
	assert.deepEqual(buildConfig({endpoints: 'http://h:80,https://[::1]:443/'}, {}, noFiles).endpoints, ['http://h:80', 'https://[::1]:443']);
	const tls = buildConfig({endpoints: '127.0.0.1:2379', cacert: 'ca.pem'}, {}, noFiles);
	assert.deepEqual(tls.endpoints, ['https://127.0.0.1:2379']);
	assert.equal(tls.tls?.ca?.toString(), caPem.toString());
});

test('bad input names the flag or variable and the fix', () => {
	const cases: Array<[() => unknown, string, RegExp]> = [
		[() => buildConfig({endpoints: 'ftp://h:1'}, {}, noFiles), '--endpoints', /ftp/],
		[() => buildConfig({endpoints: 'h'}, {}, noFiles), '--endpoints', /no port/],
		[() => buildConfig({endpoints: 'h:0'}, {}, noFiles), '--endpoints', /port 0, outside 1-65535/],
		[() => buildConfig({endpoints: 'http://h:1/path'}, {}, noFiles), '--endpoints', /more than/],
		[() => buildConfig({endpoints: ','}, {}, noFiles), '--endpoints', /empty/],
		[() => buildConfig({}, {ETCDCTL_ENDPOINTS: 'http://[::1'}, noFiles), 'ETCDCTL_ENDPOINTS', /not a valid URL/],
		[() => buildConfig({dialTimeout: '5x'}, {}, noFiles), '--dial-timeout', /not a duration/],
		[() => buildConfig({}, {ETCDCTL_COMMAND_TIMEOUT: 'soon'}, noFiles), 'ETCDCTL_COMMAND_TIMEOUT', /not a duration/],
		[() => buildConfig({interval: '10ms'}, {}, noFiles), '--interval', /10ms is out of range/],
		[() => buildConfig({interval: '600h'}, {}, noFiles), '--interval', /600h is out of range/],
		[() => buildConfig({}, {ETCDTOP_PROBE_TIMEOUT: '600h'}, noFiles), 'ETCDTOP_PROBE_TIMEOUT', /out of range/],
		[() => buildConfig({dialTimeout: '100000h'}, {}, noFiles), '--dial-timeout', /out of range/],
		[() => buildConfig({probeTimeout: 'x'}, {}, noFiles), '--probe-timeout', /not a duration/],
		[() => buildConfig({dialTimeout: '-1s'}, {}, noFiles), '--dial-timeout', /^--dial-timeout: -1s is out of range \(negative\) \(use a number with a unit from 10ms to 10m, e\.g\. 500ms, 2s, 1m\)$/],
		// Examples only from the range: 6h is not one for a 1m bound.
		[() => buildConfig({probeTimeout: '2h'}, {}, noFiles), '--probe-timeout', /from 10ms to 1m, e\.g\. 500ms, 2s, 1m\)$/],
		[() => buildConfig({cacert: 'missing.crt'}, {}, noFiles), '--cacert', /does not exist/],
		[() => buildConfig({cert: 'c.pem'}, {}, noFiles), '--key', /both --cert and --key/],
		[() => buildConfig({endpoints: 'http://h:1', cacert: 'ca.pem'}, {}, noFiles), '--endpoints', /https/],
		[() => buildConfig({user: ':pw'}, {}, noFiles), '--user', /empty/],
		[() => buildConfig({password: 'pw'}, {}, noFiles), '--password', /without a user/],
	];
	for (const [run, input, problem] of cases) {
		const error = configError(run);
		assert.equal(error.input, input, error.message);
		assert.match(error.message, problem);
	}
});

test('user and password: inline, from flag, from ETCDCTL_PASSWORD, or still to be asked', () => {
	assert.deepEqual(buildConfig({user: 'root:s3cret'}, {}, noFiles).auth, {username: 'root', password: 's3cret'});
	assert.deepEqual(buildConfig({user: 'root', password: 'p'}, {}, noFiles).auth, {username: 'root', password: 'p'});
	assert.deepEqual(buildConfig({}, {ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'e'}, noFiles).auth, {username: 'root', password: 'e'});
	assert.deepEqual(buildConfig({user: 'root'}, {}, noFiles).auth, {username: 'root', password: undefined});
	assert.deepEqual(buildConfig({user: 'root:a:b'}, {}, noFiles).auth, {username: 'root', password: 'a:b'});
});

test('every etcd client connects with the same options from the config; a user still without a password is refused', () => {
	assert.deepEqual(connectOptionsOf(buildConfig({user: 'root:s3cret', dialTimeout: '3s'}, {}, noFiles)), {
		auth: {username: 'root', password: 's3cret', grantRootCommand: 'etcdctl user grant-role root root'},
		dialTimeoutMs: 3000,
		commandTimeoutMs: 5000,
	});
	assert.deepEqual(connectOptionsOf(buildConfig({}, {}, noFiles)), {dialTimeoutMs: 2000, commandTimeoutMs: 5000});
	const error = configError(() => connectOptionsOf(buildConfig({user: 'root'}, {}, noFiles)));
	assert.equal(error.input, '--password');
});

test('--wait-timeout of the maintenance commands has its documented range too (a timer past 2^31-1 ms fires at once)', async () => {
	const {defragCommand} = await import('../../source/commands/maintenance.js');
	const io = {out: () => undefined, err: () => undefined};
	for (const [text, problem] of [['600h', /600h is out of range.*from 1s to 24h/], ['0.5s', /0\.5s is out of range/], ['soon', /"soon" is not a duration/]] as const) {
		await assert.rejects(defragCommand({args: [], flags: {waitTimeout: text, yes: true}, io} as never), (error: unknown) => {
			assert.ok(error instanceof ConfigError, String(error));
			assert.equal(error.input, '--wait-timeout');
			assert.match(error.message, problem);
			return true;
		});
	}
});
