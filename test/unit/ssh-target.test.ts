import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {backoffDelay} from '../../source/ssh/connection.js';
import {classifySshError, SshError} from '../../source/ssh/errors.js';
import {formatTarget, memberTarget, parseHostMap, parseTarget} from '../../source/ssh/target.js';
import {endpointTarget, tunnelledEndpoint} from '../../source/ssh/tunnel.js';

describe('SSH targets', () => {
	it('parses [user@]host[:port] in all its forms', () => {
		const cases: ReadonlyArray<readonly [string, object]> = [
			['bastion', {host: 'bastion'}],
			['admin@bastion', {user: 'admin', host: 'bastion'}],
			['admin@bastion.example.com:2222', {user: 'admin', host: 'bastion.example.com', port: 2222}],
			['10.0.0.1:22', {host: '10.0.0.1', port: 22}],
			['[fd00::1]:2222', {host: 'fd00::1', port: 2222}],
			['ops@[fd00::1]', {user: 'ops', host: 'fd00::1'}],
			['fd00::1', {host: 'fd00::1'}],
			['  etcd_1  ', {host: 'etcd_1'}],
		];
		for (const [text, expected] of cases) assert.deepEqual(parseTarget(text), expected, text);
	});

	it('refuses anything that could be read as an option or shell text', () => {
		for (const bad of ['', '-oProxyCommand=touch_x', 'user@-host', '-user@host', 'host:0', 'host:65536', 'host:22x', 'ho st', 'host;id', '$(id)', 'a@', '@b', '[fd00::1', '[fd00::1]x', 'x:1:2:zz']) {
			assert.throws(() => parseTarget(bad), (error: unknown) => error instanceof SshError && error.kind === 'bad-target', bad);
		}
	});

	it('formats targets back', () => {
		assert.equal(formatTarget(parseTarget('a@[fd00::1]:2222')), 'a@[fd00::1]:2222');
		assert.equal(formatTarget(parseTarget('h')), 'h');
	});

	it('maps member names to hosts, and finds the host of an unmapped member from its peer URL', () => {
		const map = parseHostMap(['etcd-1=ops@10.0.0.11:2222', "it's $(weird)=10.0.0.12"]);
		assert.deepEqual(memberTarget({name: 'etcd-1', peerUrls: ['https://10.9.9.9:2380']}, map), {user: 'ops', host: '10.0.0.11', port: 2222});
		assert.deepEqual(memberTarget({name: "it's $(weird)", peerUrls: []}, map), {host: '10.0.0.12'});
		assert.deepEqual(memberTarget({name: 'etcd-3', peerUrls: ['https://etcd-3.internal:2380', 'https://10.0.0.13:2380']}, map), {host: 'etcd-3.internal'});
		assert.deepEqual(memberTarget({name: 'etcd-4', peerUrls: ['https://[fd00::4]:2380']}), {host: 'fd00::4'});
		assert.throws(() => memberTarget({name: 'etcd-5', peerUrls: []}), /no peer URL/);
		assert.throws(() => parseHostMap(['etcd-1']), /NAME=/);
		assert.throws(() => parseHostMap(['=host']), /NAME=/);
		assert.throws(() => parseHostMap(['a=h1', 'a=h2']), /mapped twice/);
	});

	it('rewrites an etcd endpoint to its tunnel and keeps the real name for TLS', () => {
		assert.deepEqual(tunnelledEndpoint('https://etcd-1.internal:2379', 40_001), {
			endpoint: 'https://127.0.0.1:40001',
			serverName: 'etcd-1.internal',
			target: {host: 'etcd-1.internal', port: 2379},
		});
		assert.deepEqual(endpointTarget('http://[fd00::1]:2379'), {host: 'fd00::1', port: 2379});
	});

	it('backs off exponentially, within bounds', () => {
		const backoff = {initialMs: 250, maxMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY};
		assert.equal(backoffDelay(1, backoff, () => 0.5), 250);
		assert.equal(backoffDelay(3, backoff, () => 0.5), 1000);
		for (let attempt = 1; attempt < 200; attempt++) {
			const delay = backoffDelay(attempt, backoff);
			assert.ok(delay >= 200 && delay <= 12_000, `attempt ${attempt}: ${delay}`);
		}
	});

	it('classifies network errors into kinds', () => {
		assert.equal(classifySshError(new Error('connect ECONNREFUSED 127.0.0.1:22')).kind, 'refused');
		assert.equal(classifySshError(new Error('getaddrinfo ENOTFOUND nope')).kind, 'dns');
		assert.equal(classifySshError(new Error('read ECONNRESET')).kind, 'unreachable');
		assert.equal(classifySshError(new Error('Not connected')).kind, 'unreachable');
		assert.equal(classifySshError(new Error('Keepalive timeout')).kind, 'timeout');
		assert.equal(classifySshError(new Error('(SSH) Channel open failure: Connection refused')).kind, 'forward-refused');
		assert.equal(classifySshError(new SshError('host-key-changed', 'x')).kind, 'host-key-changed');
	});
});
