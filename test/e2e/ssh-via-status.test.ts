import assert from 'node:assert/strict';
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {hasEtcdBinary, LocalCluster} from '../../source/demo/local-cluster.js';
import {freePort} from '../../source/demo/free-port.js';
import {parseKnownHosts, entryMatches, knownHostName} from '../../source/ssh/known-hosts.js';
import {runCli} from '../helpers/cli.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const skip = !hasSshd() ? 'OpenSSH sshd is not installed' : !hasEtcdBinary() ? 'etcd is not installed' : false;

interface JsonStatus {
	readonly cluster: {readonly state: string};
	readonly members: ReadonlyArray<{readonly name: string; readonly state: string; readonly reachable: boolean; readonly error: {readonly kind: string; readonly message: string} | null}>;
}

describe('etcdtop status --via a real sshd', {skip, timeout: 300_000}, () => {
	let sshd: TestSshd;
	let cluster: LocalCluster;
	let home: string;
	let counter = 0;

	/** A HOME whose ~/.ssh/config names the sshd "bastion" and whose known_hosts trusts it. */
	const env = () => ({HOME: home, SSH_AUTH_SOCK: ''});
	const scratch = (name: string) => join(home, `${name}-${++counter}`);
	const direct = (endpoint: string) => endpoint.replace(/^https?:\/\//, '');

	before(async () => {
		[sshd, cluster] = await Promise.all([TestSshd.start({logLevel: 'DEBUG1'}), LocalCluster.start({members: 3, namePrefix: 'via'})]);
		home = mkdtempSync(join(tmpdir(), 'etcdtop-via-home-'));
		mkdirSync(join(home, '.ssh'), {mode: 0o700});
		writeFileSync(
			join(home, '.ssh', 'config'),
			['Host bastion', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keys.plain}`, ''].join('\n'),
		);
		copyFileSync(sshd.knownHostsFile, join(home, '.ssh', 'known_hosts'));
	});

	after(async () => {
		const isFailed = process.exitCode !== undefined && process.exitCode !== 0;
		await Promise.all([sshd?.dispose({isKeepingFiles: isFailed}), cluster?.stop({isKeepingFiles: isFailed})]);
		if (isFailed && sshd) console.error(`sshd files kept in ${sshd.dir}`);
		if (home) rmSync(home, {recursive: true, force: true});
	});

	it('reaches every member, discovered ones too, through one alias from ~/.ssh/config', async () => {
		const first = cluster.members[0]!.clientUrl;
		const result = await runCli(['status', '-w', 'json', '--endpoints', first, '--via', 'bastion'], {env: env()});
		assert.equal(result.code, 0, result.stderr + result.stdout);
		const status = JSON.parse(result.stdout) as JsonStatus;
		assert.equal(status.cluster.state, 'healthy');
		assert.deepEqual(status.members.map(member => [member.name, member.state]), cluster.members.map(member => [member.name, 'ok']));
		// sshd opened a channel to each member's client port: the discovered members went through it too.
		const targets = new Set(sshd.forwardedTargets());
		for (const member of cluster.members) assert.ok(targets.has(direct(member.clientUrl)), `no channel to ${member.clientUrl} in ${[...targets].join(', ')}`);
		assert.equal(result.stderr, '');
	});

	it('shows every member as "tunnel down" (exit 2) when the SSH host does not answer', async () => {
		const port = await freePort();
		const args = ['status', '--endpoints', cluster.endpoints.join(','), '--via', `127.0.0.1:${port}`, '--ssh-identity', sshd.keys.plain];
		const table = await runCli(args, {env: env()});
		assert.equal(table.code, 2, table.stderr + table.stdout);
		for (const member of cluster.members) assert.match(table.stdout.split('\n').find(line => line.includes(member.clientUrl)) ?? '', /\| +tunnel down \|/);
		assert.match(table.stderr, /SSH to .*127\.0\.0\.1:\d+ is not up/);
		const json = await runCli([...args, '-w', 'json'], {env: env()});
		const status = JSON.parse(json.stdout) as JsonStatus;
		assert.equal(status.cluster.state, 'unreachable');
		assert.ok(status.members.every(member => member.error?.kind === 'tunnel-down' && !member.reachable), json.stdout);
	});

	it('refuses an unknown host with its SHA256 fingerprint and how to add it, exit 3, one line', async () => {
		const knownHosts = scratch('known_hosts');
		writeFileSync(knownHosts, '');
		const result = await runCli(['status', '--endpoints', cluster.endpoints[0]!, '--via', 'bastion', '--ssh-known-hosts', knownHosts], {env: env()});
		assert.equal(result.code, 3, result.stderr);
		assert.equal(result.stdout, '');
		assert.ok(result.stderr.includes(sshd.hostFingerprint()), result.stderr);
		assert.match(result.stderr, /not in .*known_hosts/);
		assert.match(result.stderr, /ssh-keyscan -H -p \d+ -t ed25519 127\.0\.0\.1/);
		assert.match(result.stderr, /--ssh-accept-new/);
		assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
		assert.doesNotMatch(result.stderr, /\n\s+at /);
		assert.equal(readFileSync(knownHosts, 'utf8'), '', 'nothing recorded without --ssh-accept-new');
	});

	it('--ssh-accept-new records an unknown key (hashed, 0600) and the next run trusts it', async () => {
		const knownHosts = join(scratch('fresh'), 'known_hosts');
		const args = ['status', '--endpoints', cluster.endpoints[0]!, '--via', 'bastion', '--ssh-known-hosts', knownHosts];
		const first = await runCli([...args, '--ssh-accept-new'], {env: env()});
		assert.equal(first.code, 0, first.stderr);
		assert.match(first.stderr, new RegExp(`recorded the host key of \\[127\\.0\\.0\\.1\\]:${sshd.port} \\(${sshd.hostFingerprint().replace(/[+/]/g, '\\$&')}\\)`));
		const entries = parseKnownHosts(readFileSync(knownHosts, 'utf8'));
		assert.equal(entries.length, 1);
		assert.ok(entries[0]!.hashed && entryMatches(entries[0]!, knownHostName('127.0.0.1', sshd.port)));
		const second = await runCli(args, {env: env()});
		assert.equal(second.code, 0, second.stderr);
		assert.equal(second.stderr, '');
	});

	it('refuses a changed host key loudly, even with --ssh-accept-new', async () => {
		const knownHosts = scratch('known_hosts_changed');
		// Another ed25519 key for the same [host]:port: what an interceptor, or a re-keyed host, presents.
		const other = readFileSync(`${sshd.keys.stranger}.pub`, 'utf8').trim().split(/\s+/);
		writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}\n`);
		for (const extra of [[], ['--ssh-accept-new']]) {
			const result = await runCli(['status', '--endpoints', cluster.endpoints[0]!, '--via', 'bastion', '--ssh-known-hosts', knownHosts, ...extra], {env: env()});
			assert.equal(result.code, 3, result.stderr);
			assert.match(result.stderr, /HOST KEY FOR \[127\.0\.0\.1\]:\d+ HAS CHANGED/);
			assert.ok(result.stderr.includes(sshd.hostFingerprint()), result.stderr);
			assert.match(result.stderr, /ssh-keygen -R/);
			assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
		}
		assert.equal(readFileSync(knownHosts, 'utf8').trim().split('\n').length, 1, 'the changed key was not recorded');
	});

	it('rejects bad SSH flag values with exit 3 and the flag named', async () => {
		const cases: Array<[string[], RegExp]> = [
			[['--via', 'user@host:99999'], /^etcdtop: --via: .*port/],
			[['--via', ''], /^etcdtop: --via: /],
			[['--via', 'bastion', '--ssh-identity', join(home, 'no-such-key')], /^etcdtop: --ssh-identity: .*does not exist/],
			[['--via', 'bastion', '--ssh-known-hosts', home], /^etcdtop: --ssh-known-hosts: .*not a regular file/],
			[['--ssh-host', 'etcd-1'], /^etcdtop: --ssh-host: .*NAME=/],
			[['--ssh-host', 'etcd-1=-oProxyCommand=x'], /^etcdtop: --ssh-host: /],
		];
		for (const [flags, pattern] of cases) {
			const result = await runCli(['status', '--endpoints', cluster.endpoints[0]!, ...flags], {env: env()});
			assert.equal(result.code, 3, `${flags.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, pattern);
		}
		const help = await runCli(['--help']);
		for (const flag of ['--via', '--ssh-identity', '--ssh-known-hosts', '--ssh-accept-new', '--ssh-host']) assert.ok(help.stdout.includes(flag), flag);
	});

	it('an identity the server refuses exits 3 with the key named', async () => {
		const result = await runCli(['status', '--endpoints', cluster.endpoints[0]!, '--via', 'bastion', '--ssh-identity', sshd.keys.stranger], {env: env()});
		assert.equal(result.code, 3, result.stderr);
		assert.match(result.stderr, /refused every key \(tried .*id_stranger\)/);
	});
});
