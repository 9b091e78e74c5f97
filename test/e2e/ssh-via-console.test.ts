import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {hasEtcdBinary, LocalCluster} from '../../source/demo/local-cluster.js';
import {cliPath} from '../helpers/cli.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';
import {TmuxSession} from '../helpers/tmux.js';

const skip = !hasSshd() ? 'OpenSSH sshd is not installed' : !hasEtcdBinary() ? 'etcd is not installed' : false;
const names = ['etcd-1', 'etcd-2', 'etcd-3'];

/** The row of one member on the dashboard, e.g. "  etcd-2       tunnel down  ...". */
function row(screen: string, name: string): string {
	return screen.split('\n').find(line => new RegExp(`^[> ] ${name} `).test(line)) ?? '';
}

const dataAge = (screen: string) => /data (\S+) old/.exec(screen)?.[1];

describe('the console through --via a real sshd', {skip, timeout: 300_000}, () => {
	let sshd: TestSshd;
	let cluster: LocalCluster;
	let scratch: string;
	const sessions: TmuxSession[] = [];

	before(async () => {
		[sshd, cluster] = await Promise.all([TestSshd.start(), LocalCluster.start({members: 3})]);
		scratch = mkdtempSync(join(tmpdir(), 'etcdtop-via-console-'));
	});

	after(async () => {
		for (const session of sessions) session.close();
		const isFailed = process.exitCode !== undefined && process.exitCode !== 0;
		await Promise.all([sshd?.dispose({isKeepingFiles: isFailed}), cluster?.stop({isKeepingFiles: isFailed})]);
		if (scratch) rmSync(scratch, {recursive: true, force: true});
	});

	const open = (args: readonly string[], columns = 120): TmuxSession => {
		const argv = [process.execPath, cliPath, '--endpoints', cluster.endpoints[0]!, '--via', `${sshd.user}@127.0.0.1:${sshd.port}`, ...args];
		const session = TmuxSession.start(argv, {env: {SSH_AUTH_SOCK: ''}, columns});
		sessions.push(session);
		return session;
	};

	it('shows "tunnel down" on every row while sshd is gone, stays responsive, and recovers', async () => {
		const session = open(['--ssh-identity', sshd.keys.plain, '--ssh-known-hosts', sshd.knownHostsFile]);
		await session.waitFor(text => names.every(name => row(text, name).includes(' ok ')), 30_000);
		assert.equal(session.format('alternate_on'), '1');
		await sshd.stop();
		try {
			const down = await session.waitFor(text => names.every(name => row(text, name).includes('tunnel down')), 20_000);
			assert.match(down, /etcd-1 unreachable \(tunnel down\)/);
			// Not frozen: the data age keeps counting and keys still work while SSH reconnects.
			const age = dataAge(down);
			await session.waitFor(text => dataAge(text) !== age, 10_000);
			session.sendKeys('?');
			await session.waitFor('select next member', 10_000);
			session.sendKeys('Escape');
			await session.waitFor(text => !text.includes('select next member'), 10_000);
			session.sendKeys('3');
			await session.waitFor(text => text.includes('EVENT LOG') && /etcd-\d is unreachable: tunnel down \(SSH to .* is down/.test(text), 10_000);
			session.sendKeys('1');
			await session.waitFor(text => !text.includes('EVENT LOG'), 10_000);
		} finally {
			await sshd.restart();
		}
		await session.waitFor(text => names.every(name => row(text, name).includes(' ok ')), 60_000);
		session.sendKeys('q');
		assert.equal(await session.waitForExit(), 0);
		assert.equal(session.format('alternate_on'), '0');
	});

	it('an unknown host is refused before the console takes the screen: one message, exit 3', async () => {
		const empty = join(scratch, 'known_hosts_empty');
		writeFileSync(empty, '');
		const session = open(['--ssh-identity', sshd.keys.plain, '--ssh-known-hosts', empty]);
		assert.equal(await session.waitForExit(30_000), 3);
		// -J joins the lines the terminal wrapped, so the message reads as the one line it is.
		const screen = session.captureAll();
		assert.equal(session.format('alternate_on'), '0');
		assert.ok(screen.includes(sshd.hostFingerprint()), screen);
		assert.match(screen, /^etcdtop: --via: host \[127\.0\.0\.1\]:\d+ is not in .* it presents ssh-ed25519 SHA256:\S+ \(check the fingerprint out of band, then run: ssh-keyscan .*--ssh-accept-new.*\)$/m);
		assert.doesNotMatch(screen, /\s+at \S+ \(/, 'no stack trace');
	});

	it('asks for an encrypted key\'s passphrase without echo, then runs through the tunnel', async () => {
		const session = open(['--ssh-identity', sshd.keys.encrypted, '--ssh-known-hosts', sshd.knownHostsFile]);
		await session.waitFor('Enter passphrase for key', 30_000);
		session.sendKeys('-l', sshd.keys.passphrase);
		// Typed, not yet entered: nothing of it is on the screen.
		await new Promise(resolve => setTimeout(resolve, 300));
		assert.ok(!session.capture().includes(sshd.keys.passphrase), 'the passphrase was echoed');
		session.sendKeys('Enter');
		const screen = await session.waitFor(text => names.every(name => row(text, name).includes(' ok ')), 30_000);
		assert.ok(!screen.includes(sshd.keys.passphrase));
		session.sendKeys('q');
		assert.equal(await session.waitForExit(), 0);
	});

	it('with the SSH host down at start, asks for the passphrase before the screen, then connects when it is back', async () => {
		await sshd.stop();
		let session: TmuxSession;
		try {
			session = open(['--ssh-identity', sshd.keys.encrypted, '--ssh-known-hosts', sshd.knownHostsFile]);
			await session.waitFor('Enter passphrase for key', 30_000);
			assert.equal(session.format('alternate_on'), '0');
			session.sendKeys('-l', sshd.keys.passphrase);
			session.sendKeys('Enter');
			// No member list yet: one row, named by its endpoint.
			await session.waitFor(text => /^[> ] \S+ +tunnel down/m.test(text), 30_000);
		} finally {
			await sshd.restart();
		}
		const screen = await session.waitFor(text => names.every(name => row(text, name).includes(' ok ')), 60_000);
		assert.doesNotMatch(screen, /passphrase/i, 'no prompt inside the console');
		session.sendKeys('q');
		assert.equal(await session.waitForExit(), 0);
	});

	// Last: it leaves sshd with a host key the shared known_hosts does not hold.
	it('a host key that changes mid-session is refused loudly and never retried', async () => {
		const session = open(['--ssh-identity', sshd.keys.plain, '--ssh-known-hosts', sshd.knownHostsFile], 250);
		await session.waitFor(text => names.every(name => row(text, name).includes(' ok ')), 30_000);
		await sshd.restart({isNewHostKey: true});
		await session.waitFor(text => names.every(name => row(text, name).includes('tunnel down')), 30_000);
		session.sendKeys('3');
		// The rows may already read "tunnel down" from the restart itself; the refusal is logged on its own.
		const log = await session.waitFor(text => text.includes('EVENT LOG') && /HOST KEY FOR \[127\.0\.0\.1\]:\d+ HAS CHANGED/.test(text), 45_000);
		assert.match(log, /will not be retried/);
		session.sendKeys('q');
		assert.equal(await session.waitForExit(), 0);
	});
});
