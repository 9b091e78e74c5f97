import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import type {Client} from 'ssh2';
import {connectSsh, Keyring, type HostKeyPolicy} from '../../source/ssh/connect.js';
import {SshConnection} from '../../source/ssh/connection.js';
import {SshError} from '../../source/ssh/errors.js';
import {execRemote, runOnMember} from '../../source/ssh/remote-exec.js';
import {parseSshConfig, resolveSshHost} from '../../source/ssh/ssh-config.js';
import {parseHostMap} from '../../source/ssh/target.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

/** PIDs whose argv is exactly `argv` (sshd runs on this machine, so its commands are visible). */
function pidsRunning(argv: readonly string[]): number[] {
	const wanted = argv.join('\0');
	return readdirSync('/proc')
		.filter(name => /^\d+$/.test(name))
		.filter(name => {
			try {
				return readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0$/, '') === wanted;
			} catch {
				return false;
			}
		})
		.map(Number);
}

async function waitGone(argv: readonly string[], timeoutMs: number): Promise<number[]> {
	const deadline = Date.now() + timeoutMs;
	let pids = pidsRunning(argv);
	while (pids.length > 0 && Date.now() < deadline) {
		await new Promise(resolve => setTimeout(resolve, 100));
		pids = pidsRunning(argv);
	}
	// A failing test still must not leave its remote command behind.
	for (const pid of pids) process.kill(pid, 'SIGKILL');
	return pids;
}

const skip = hasSshd() ? false : 'OpenSSH sshd is not installed';

describe('remote exec against a real sshd', {skip, timeout: 120_000}, () => {
	let sshd: TestSshd;
	let client: Client;
	let hostKeys: HostKeyPolicy;
	let scratch: string;
	const sleepers: string[][] = [];

	before(async () => {
		sshd = await TestSshd.start();
		scratch = mkdtempSync(join(tmpdir(), 'etcdtop-exec-'));
		hostKeys = {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false};
		client = await connectSsh({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys,
			keyring: new Keyring(),
			agentSocket: '',
		});
		client.on('error', () => {});
	});

	after(async () => {
		for (const argv of sleepers) await waitGone(argv, 0);
		client?.end();
		await sshd?.dispose();
		if (scratch) rmSync(scratch, {recursive: true, force: true});
	});

	it('reports exit codes, and streams stdout and stderr lines', async () => {
		const stdout: string[] = [];
		const stderr: string[] = [];
		const result = await execRemote(client, {argv: ['sh', '-c', 'echo one; echo two; echo oops >&2; printf tail; exit 3']}, {
			timeoutMs: 30_000,
			onStdoutLine: line => stdout.push(line),
			onStderrLine: line => stderr.push(line),
		});
		assert.equal(result.exitCode, 3);
		assert.deepEqual(stdout, ['one', 'two', 'tail']);
		assert.deepEqual(stderr, ['oops']);
		const ok = await execRemote(client, {argv: ['true']}, {timeoutMs: 30_000});
		assert.equal(ok.exitCode, 0);
	});

	it('delivers hostile arguments byte for byte and never runs them', async () => {
		const marker = join(scratch, 'pwned');
		const hostile = [
			`a'; touch ${marker}; echo '`,
			`$(touch ${marker})`,
			`\`touch ${marker}\``,
			`x\ntouch ${marker}`,
			`"; touch ${marker}; "`,
			'*',
			'',
			'-n',
			`it's a "name" with \\ and $HOME and !! and ~`,
		];
		const lines: string[] = [];
		// printf prints each argument between markers, so empty and multi-line ones are visible too.
		const result = await execRemote(client, {argv: ['printf', '<%s>\\n', ...hostile]}, {timeoutMs: 30_000, onStdoutLine: line => lines.push(line)});
		assert.equal(result.exitCode, 0);
		assert.equal(lines.join('\n'), hostile.map(arg => `<${arg}>`).join('\n'));
		assert.equal(existsSync(marker), false, 'a hostile argument ran as shell code');
	});

	it('passes environment variables as env argv, quoted the same way', async () => {
		const lines: string[] = [];
		const value = `v'; touch ${join(scratch, 'pwned-env')}; echo '$(id)`;
		const result = await execRemote(client, {argv: ['sh', '-c', 'printf "%s\\n" "$ETCDTOP_TEST"'], env: {ETCDTOP_TEST: value}}, {timeoutMs: 30_000, onStdoutLine: line => lines.push(line)});
		assert.equal(result.exitCode, 0);
		assert.deepEqual(lines, [value]);
		assert.equal(existsSync(join(scratch, 'pwned-env')), false);
	});

	it('times out a command that does not finish', async () => {
		const started = Date.now();
		const argv = ['sleep', `${600 + Math.floor(Math.random() * 300)}`];
		sleepers.push(argv);
		await assert.rejects(execRemote(client, {argv}, {timeoutMs: 1000}), (error: unknown) => error instanceof SshError && error.kind === 'timeout');
		assert.ok(Date.now() - started < 20_000);
		assert.deepEqual(await waitGone(argv, 15_000), [], 'the timed-out command kept running on the host');
	});

	it('cancels a running command with an AbortSignal', async () => {
		const controller = new AbortController();
		const started = Date.now();
		const lines: string[] = [];
		const sleeper = ['sleep', `${900 + Math.floor(Math.random() * 300)}`];
		sleepers.push(sleeper);
		const running = execRemote(client, {argv: ['sh', '-c', `echo started; exec ${sleeper.join(' ')}`]}, {timeoutMs: 60_000, signal: controller.signal, onStdoutLine: line => lines.push(line)});
		while (lines.length === 0 && Date.now() - started < 20_000) await new Promise(resolve => setTimeout(resolve, 50));
		assert.deepEqual(lines, ['started']);
		controller.abort();
		await assert.rejects(running, (error: unknown) => error instanceof SshError && error.kind === 'cancelled');
		assert.ok(Date.now() - started < 30_000);
		assert.deepEqual(await waitGone(sleeper, 15_000), [], 'the cancelled command kept running on the host');
		// The connection stays usable after a cancelled command.
		const after = await execRemote(client, {argv: ['echo', 'still here']}, {timeoutMs: 30_000});
		assert.equal(after.exitCode, 0);
	});

	it('runs on a member host found from its peer URL and ~/.ssh/config, directly and through a jump host', async () => {
		// The member's peer URL names 127.0.0.1; the config tells which port and key, as on a real fleet.
		const sshConfig = parseSshConfig(`Host 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.keys.plain}\n`);
		const member = {name: `etcd-1 $(touch ${join(scratch, 'pwned-name')})`, peerUrls: ['http://127.0.0.1:2380']};
		const lines: string[] = [];
		const direct = await runOnMember({
			member,
			sshConfig,
			hostKeys,
			keyring: new Keyring(),
			agentSocket: '',
			command: {argv: ['echo', member.name]},
			timeoutMs: 30_000,
			onStdoutLine: line => lines.push(line),
		});
		assert.equal(direct.exitCode, 0);
		assert.deepEqual(lines, [member.name]);
		assert.equal(existsSync(join(scratch, 'pwned-name')), false);

		const via = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys,
			keyring: new Keyring(),
			agentSocket: '',
		}).start();
		try {
			const jumped: string[] = [];
			const result = await runOnMember({
				member: {name: 'etcd-2', peerUrls: ['http://10.255.255.1:2380']},
				// The map wins over the peer URL (which here is unroutable on purpose).
				hostMap: parseHostMap([`etcd-2=${sshd.user}@127.0.0.1:${sshd.port}`]),
				identityFile: sshd.keys.plain,
				hostKeys,
				keyring: new Keyring(),
				agentSocket: '',
				via,
				command: {argv: ['sh', '-c', 'echo "$SSH_CLIENT"']},
				timeoutMs: 30_000,
				onStdoutLine: line => jumped.push(line),
			});
			assert.equal(result.exitCode, 0);
			// Through the jump host the member's sshd sees a connection from the jump host itself.
			assert.match(jumped[0] ?? '', /^127\.0\.0\.1 \d+ \d+$/);
		} finally {
			via.close();
		}
	});
});
