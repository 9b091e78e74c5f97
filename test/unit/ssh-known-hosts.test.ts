import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {
	appendKnownHost,
	checkHostKey,
	entryMatches,
	fingerprint,
	formatKnownHostsLine,
	keyscanHint,
	keyTypeOf,
	knownHostName,
	parseKnownHosts,
	preferredHostKeyAlgorithms,
} from '../../source/ssh/known-hosts.js';

// Captured from OpenSSH 9.2: two keys made by ssh-keygen, the file hashed by `ssh-keygen -H`, the
// fingerprints printed by `ssh-keygen -l -E sha256`.
const ed25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIA8JVuTbwcUJIx8zOIkE4IREu9WVeLkXy6QlIryw44qq';
const ecdsa = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMlFCl3xGg0SFDc+l/B59cLhn2GKf36wKzE9bz7OOF9R5yLV5pM33Th5Co9MyNWlFLwLKCra0DKHnQVl2L4p2B8=';
const hashedByOpenSsh = [
	`|1|Hfb2zOMOr6GrhkwRhObkw/drNuw=|cH/alF4aheMrIjV4FpGIBoEeJ0I= ssh-ed25519 ${ed25519}`, // etcd-1.example.com
	`|1|j3ZQb29j4lHQg0JsdOhty5ZHdOM=|5lAlG8764+NBAI2j9UpygGS/L8Y= ecdsa-sha2-nistp256 ${ecdsa}`, // [etcd-2.example.com]:2222
].join('\n');
const ed25519Key = Buffer.from(ed25519, 'base64');
const ecdsaKey = Buffer.from(ecdsa, 'base64');

describe('known_hosts', () => {
	it('computes fingerprints exactly as ssh-keygen -l prints them', () => {
		assert.equal(fingerprint(ed25519Key), 'SHA256:9k4X8eHgmuiYSu/F5UZ10ByjCcyCqq8/RtMHGtd/uBs');
		assert.equal(fingerprint(ecdsaKey), 'SHA256:6r3ENRu/t2YP4r8ZyO+QbbdRANYyFwwQMoUyBhM4LJo');
		assert.equal(keyTypeOf(ecdsaKey), 'ecdsa-sha2-nistp256');
	});

	it('names hosts as OpenSSH does: bare on port 22, [host]:port elsewhere, lower case', () => {
		assert.equal(knownHostName('Etcd-1.Example.com'), 'etcd-1.example.com');
		assert.equal(knownHostName('etcd-1', 22), 'etcd-1');
		assert.equal(knownHostName('etcd-1', 2222), '[etcd-1]:2222');
		assert.equal(knownHostName('fd00::1', 2222), '[fd00::1]:2222');
	});

	it('matches entries hashed by OpenSSH, including [host]:port', () => {
		const entries = parseKnownHosts(hashedByOpenSsh);
		assert.equal(entries.length, 2);
		assert.ok(entries[0]!.hashed && entries[0]!.patterns === undefined);
		assert.ok(entryMatches(entries[0]!, knownHostName('etcd-1.example.com', 22)));
		assert.ok(!entryMatches(entries[0]!, knownHostName('etcd-1.example.com', 2222)));
		assert.ok(entryMatches(entries[1]!, knownHostName('etcd-2.example.com', 2222)));
		assert.ok(!entryMatches(entries[1]!, knownHostName('etcd-2.example.com', 22)));
		assert.deepEqual(checkHostKey(entries, 'ETCD-1.example.com', 22, ed25519Key), {status: 'known', line: 1});
		assert.deepEqual(checkHostKey(entries, 'etcd-2.example.com', 2222, ecdsaKey), {status: 'known', line: 2});
		assert.deepEqual(checkHostKey(entries, 'etcd-2.example.com', 2222, ed25519Key), {status: 'changed', lines: [2]});
		assert.deepEqual(checkHostKey(entries, 'etcd-3.example.com', 22, ed25519Key), {status: 'unknown'});
	});

	it('reads plain entries: comma lists, wildcards, negation, comments, and skips corrupt lines', () => {
		const text = [
			'# a comment',
			'',
			`etcd-1,10.0.0.11,[etcd-1]:2222 ssh-ed25519 ${ed25519}`,
			`*.prod.example.com,!bad.prod.example.com ecdsa-sha2-nistp256 ${ecdsa}`,
			`broken-line ssh-ed25519`,
			`mismatch ssh-rsa ${ed25519}`, // the blob says ed25519: not a key to trust
			`  @cert-authority *.example.com ssh-ed25519 ${ed25519}`,
			`@unknown-marker x ssh-ed25519 ${ed25519}`,
		].join('\r\n');
		const entries = parseKnownHosts(text);
		assert.deepEqual(
			entries.map(entry => [entry.line, entry.marker, entry.patterns]),
			[
				[3, undefined, ['etcd-1', '10.0.0.11', '[etcd-1]:2222']],
				[4, undefined, ['*.prod.example.com', '!bad.prod.example.com']],
				[7, 'cert-authority', ['*.example.com']],
			],
		);
		assert.equal(checkHostKey(entries, '10.0.0.11', 22, ed25519Key).status, 'known');
		assert.equal(checkHostKey(entries, 'etcd-1', 2222, ed25519Key).status, 'known');
		assert.equal(checkHostKey(entries, 'etcd-1', 2223, ed25519Key).status, 'unknown');
		assert.equal(checkHostKey(entries, 'db.prod.example.com', 22, ecdsaKey).status, 'known');
		assert.equal(checkHostKey(entries, 'bad.prod.example.com', 22, ecdsaKey).status, 'unknown');
		// A wildcard entry vouches for a key, and a different key under it is a change.
		assert.equal(checkHostKey(entries, 'db.prod.example.com', 22, ed25519Key).status, 'changed');
		// CA lines are not host keys: without certificate support they vouch for nothing.
		assert.equal(checkHostKey(entries, 'ca.example.com', 22, ed25519Key).status, 'unknown');
		assert.equal(checkHostKey(entries, 'mismatch', 22, ed25519Key).status, 'unknown');
	});

	it('refuses a @revoked key wherever it appears, before anything else', () => {
		const entries = parseKnownHosts(`etcd-1 ssh-ed25519 ${ed25519}\n@revoked * ssh-ed25519 ${ed25519}\n`);
		assert.deepEqual(checkHostKey(entries, 'etcd-1', 22, ed25519Key), {status: 'revoked', line: 2});
		assert.deepEqual(checkHostKey(entries, 'anything', 22, ed25519Key), {status: 'revoked', line: 2});
		assert.equal(checkHostKey(entries, 'anything', 22, ecdsaKey).status, 'unknown');
	});

	it('writes hashed lines that it (and the fixture format) reads back', () => {
		const salt = Buffer.alloc(20, 7);
		const line = formatKnownHostsLine('Etcd-9', 2222, ed25519Key, true, salt);
		assert.match(line, /^\|1\|BwcHBwcHBwcHBwcHBwcHBwcHBwc=\|[A-Za-z0-9+/]{27}= ssh-ed25519 /);
		const entries = parseKnownHosts(line);
		assert.equal(checkHostKey(entries, 'etcd-9', 2222, ed25519Key).status, 'known');
		assert.equal(checkHostKey(entries, 'etcd-9', 22, ed25519Key).status, 'unknown');
		assert.equal(formatKnownHostsLine('etcd-9', 22, ed25519Key, false), `etcd-9 ssh-ed25519 ${ed25519}`);
	});

	it('asks for the host key types it already trusts first', () => {
		const entries = parseKnownHosts(hashedByOpenSsh);
		assert.deepEqual(preferredHostKeyAlgorithms(entries, 'etcd-2.example.com', 2222).slice(0, 2), ['ecdsa-sha2-nistp256', 'ssh-ed25519']);
		const rsa = parseKnownHosts(`h ssh-rsa ${Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(8)]).toString('base64')}`);
		assert.deepEqual(preferredHostKeyAlgorithms(rsa, 'h', 22).slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
		assert.ok(!preferredHostKeyAlgorithms([], 'h', 22).includes('ssh-rsa'), 'SHA-1 RSA is only offered for hosts known by an RSA key');
	});

	it('suggests a keyscan command with every part quoted', () => {
		assert.equal(keyscanHint('etcd-1', 22, 'ssh-ed25519', '/root/.ssh/known_hosts'), 'check the fingerprint out of band, then run: ssh-keyscan -H -t ed25519 etcd-1 >> /root/.ssh/known_hosts');
		assert.match(keyscanHint('etcd-1', 2222, 'ecdsa-sha2-nistp256', "/tmp/my hosts's"), /ssh-keyscan -H -p 2222 -t ecdsa etcd-1 >> '\/tmp\/my hosts'\\''s'$/);
	});

	it('appends a host key 0600, and refuses a link planted where known_hosts should be', () => {
		const dir = mkdtempSync(join(tmpdir(), 'etcdtop-known-hosts-'));
		try {
			const path = join(dir, 'known_hosts');
			appendKnownHost(path, '|1|abc ssh-ed25519 AAAA');
			assert.equal(readFileSync(path, 'utf8'), '|1|abc ssh-ed25519 AAAA\n');
			assert.equal(statSync(path).mode & 0o777, 0o600);
			const victim = join(dir, 'victim');
			writeFileSync(victim, 'precious');
			const linked = join(dir, 'linked_hosts');
			symlinkSync(victim, linked);
			assert.throws(() => appendKnownHost(linked, 'x'), /symbolic link/);
			assert.equal(readFileSync(victim, 'utf8'), 'precious');
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});
