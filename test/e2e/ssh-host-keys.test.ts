import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {connectSsh, Keyring, type SshConnectOptions} from '../../source/ssh/connect.js';
import {SshError, type SshFailureKind} from '../../source/ssh/errors.js';
import {entryMatches, knownHostName, parseKnownHosts} from '../../source/ssh/known-hosts.js';
import {parseSshConfig, resolveSshHost, type ResolvedSshHost} from '../../source/ssh/ssh-config.js';
import {parseTarget} from '../../source/ssh/target.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const skip = hasSshd() ? false : 'OpenSSH sshd is not installed';

function isKind(kind: SshFailureKind) {
	return (error: unknown) => {
		assert.ok(error instanceof SshError, `expected an SshError, got ${String(error)}`);
		assert.equal(error.kind, kind, error.message);
		return true;
	};
}

describe('host keys and authentication against a real sshd', {skip, timeout: 180_000}, () => {
	let sshd: TestSshd;
	let scratch: string;
	let counter = 0;

	const host = (identityFile: string): ResolvedSshHost => resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile});
	const knownHosts = (text: string): string => {
		const path = join(scratch, `known_hosts_${++counter}`);
		writeFileSync(path, text);
		return path;
	};
	const connect = async (options: Partial<SshConnectOptions> & {readonly knownHostsPath?: string; readonly isAcceptingNew?: boolean}) => {
		const client = await connectSsh({
			host: host(sshd.keys.plain),
			keyring: new Keyring(),
			agentSocket: '',
			readyTimeoutMs: 30_000,
			...options,
			hostKeys: {knownHostsPath: options.knownHostsPath ?? sshd.knownHostsFile, isAcceptingNew: options.isAcceptingNew ?? false},
		});
		client.end();
	};

	before(async () => {
		sshd = await TestSshd.start();
		scratch = mkdtempSync(join(tmpdir(), 'etcdtop-hostkeys-'));
	});

	after(async () => {
		await sshd?.dispose();
		if (scratch) rmSync(scratch, {recursive: true, force: true});
	});

	it('refuses an unknown host, naming its SHA256 fingerprint and a keyscan line that works', async () => {
		const path = knownHosts('');
		let refusal: SshError | undefined;
		await assert.rejects(connect({knownHostsPath: path}), (error: unknown) => {
			isKind('host-unknown')(error);
			refusal = error as SshError;
			return true;
		});
		assert.ok(refusal!.message.includes(sshd.hostFingerprint()), `${refusal!.message} lacks ${sshd.hostFingerprint()}`);
		assert.equal(readFileSync(path, 'utf8'), '', 'a refused key was recorded');
		// The fix is a command line: running it must make the next connection pass.
		const command = /then run: (.*?); or pass/.exec(refusal!.fix ?? '')?.[1];
		assert.ok(command, `no keyscan command in: ${refusal!.fix}`);
		const run = spawnSync('sh', ['-c', command], {encoding: 'utf8'});
		assert.equal(run.status, 0, run.stderr);
		await connect({knownHostsPath: path});
	});

	it('accept-new records the key hashed, and the next connection trusts it', async () => {
		const path = join(scratch, 'fresh', 'known_hosts');
		const recorded: string[] = [];
		await connect({knownHostsPath: path, isAcceptingNew: true, onHostKey: event => recorded.push(event.fingerprint)});
		assert.deepEqual(recorded, [sshd.hostFingerprint()]);
		const text = readFileSync(path, 'utf8');
		assert.equal(statSync(path).mode & 0o777, 0o600);
		assert.match(text, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
		assert.ok(!text.includes('127.0.0.1'), 'the host name was written in clear');
		const [entry] = parseKnownHosts(text);
		assert.ok(entry && entryMatches(entry, knownHostName('127.0.0.1', sshd.port)));
		// OpenSSH itself must find the hashed entry.
		const lookup = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', path], {encoding: 'utf8'});
		assert.equal(lookup.status, 0, `ssh-keygen -F did not find the entry: ${lookup.stdout}${lookup.stderr}`);
		await connect({knownHostsPath: path, isAcceptingNew: false});
		assert.equal(readFileSync(path, 'utf8'), text, 'a known host was recorded twice');
	});

	it('trusts entries hashed by ssh-keygen -H and plain comma lists', async () => {
		const hashed = knownHosts(`${sshd.knownHostsLine()}\n`);
		const run = spawnSync('ssh-keygen', ['-H', '-f', hashed], {encoding: 'utf8'});
		assert.equal(run.status, 0, run.stderr);
		assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
		await connect({knownHostsPath: hashed});
		const [, type, key] = sshd.knownHostsLine().split(' ');
		await connect({knownHostsPath: knownHosts(`# comment\nother.example,[127.0.0.1]:${sshd.port},10.0.0.1 ${type} ${key}\n`)});
		// The same key listed for port 22 only does not vouch for another port.
		await assert.rejects(connect({knownHostsPath: knownHosts(`127.0.0.1 ${type} ${key}\n`)}), isKind('host-unknown'));
	});

	it('refuses a key marked @revoked even where it is also listed', async () => {
		const [, type, key] = sshd.knownHostsLine().split(' ');
		const path = knownHosts(`${sshd.knownHostsLine()}\n@revoked * ${type} ${key}\n`);
		await assert.rejects(connect({knownHostsPath: path, isAcceptingNew: true}), isKind('host-key-revoked'));
	});

	it('connects by a ~/.ssh/config alias, checking the key of the real HostName', async () => {
		const blocks = parseSshConfig(`Host etcd-bastion\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.keys.plain}\nHost *\n  User nobody-else\n  Port 1\n`);
		const resolved = resolveSshHost(parseTarget('etcd-bastion'), {blocks});
		assert.deepEqual({host: resolved.host, port: resolved.port, user: resolved.user}, {host: '127.0.0.1', port: sshd.port, user: sshd.user});
		await connect({host: resolved});
	});

	it('authenticates with a PEM key, and with an encrypted key through the passphrase prompt', async () => {
		await connect({host: host(sshd.keys.pem)});
		const asked: number[] = [];
		const keyring = new Keyring(async (path, attempt) => {
			assert.equal(path, sshd.keys.encrypted);
			asked.push(attempt);
			return attempt === 1 ? 'wrong passphrase' : sshd.keys.passphrase;
		});
		await connect({host: host(sshd.keys.encrypted), keyring});
		assert.deepEqual(asked, [1, 2]);
		// The decrypted key is kept: a reconnect does not ask again.
		await connect({host: host(sshd.keys.encrypted), keyring});
		assert.deepEqual(asked, [1, 2]);
	});

	it('does not count a slow human at the passphrase prompt against the handshake timeout', async () => {
		// The prompt alone outlasts the timeout, so a prompt counted against it fails the connect. The timeout
		// itself is generous: the handshake without the prompt (sshd forks and re-execs per connection) took
		// up to 0.7 s at load 18 on a 2-core machine, too close to the 1 s it was for a slower one.
		const readyTimeoutMs = 5000;
		const keyring = new Keyring(async () => {
			await new Promise(resolve => setTimeout(resolve, readyTimeoutMs + 1500));
			return sshd.keys.passphrase;
		});
		await connect({host: host(sshd.keys.encrypted), keyring, readyTimeoutMs});
	});

	it('explains an encrypted key without a prompt, a wrong passphrase and an unauthorized key', async () => {
		await assert.rejects(connect({host: host(sshd.keys.encrypted)}), isKind('passphrase'));
		const wrong = new Keyring(async () => 'not it');
		await assert.rejects(connect({host: host(sshd.keys.encrypted), keyring: wrong}), (error: unknown) => {
			isKind('passphrase')(error);
			assert.ok(!(error as Error).message.includes('not it'), 'the passphrase leaked into the message');
			assert.ok(!(error as Error).message.includes(sshd.keys.passphrase));
			return true;
		});
		await assert.rejects(connect({host: host(sshd.keys.stranger)}), (error: unknown) => {
			isKind('auth')(error);
			assert.match((error as Error).message, /refused every key/);
			return true;
		});
	});

	it('authenticates through ssh-agent before any identity file', {skip: existsSync('/usr/bin/ssh-agent') ? false : 'no ssh-agent'}, async () => {
		const socket = join(scratch, 'agent.sock');
		const agent: ChildProcess = spawn('/usr/bin/ssh-agent', ['-D', '-a', socket], {stdio: 'ignore'});
		try {
			const deadline = Date.now() + 10_000;
			while (!existsSync(socket) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50));
			const add = spawnSync('ssh-add', [sshd.keys.plain], {env: {...process.env, SSH_AUTH_SOCK: socket}, encoding: 'utf8'});
			assert.equal(add.status, 0, add.stderr);
			// No identity file at all: only the agent can get in.
			await connect({host: {...host(sshd.keys.plain), identityFiles: []}, agentSocket: socket});
			await assert.rejects(connect({host: {...host(sshd.keys.plain), identityFiles: []}, agentSocket: ''}), isKind('auth'));
			// An agent that holds no authorized key is skipped for the identity file.
			const keyring = new Keyring();
			await connect({host: host(sshd.keys.pem), agentSocket: join(scratch, 'no-such-agent.sock'), keyring});
		} finally {
			const exited = new Promise(resolve => agent.once('exit', resolve));
			if (agent.pid && agent.exitCode === null) process.kill(agent.pid, 'SIGTERM');
			await exited;
		}
	});

	// Last: it leaves sshd with a key the other tests' known_hosts do not hold.
	it('refuses a changed host key loudly, even in accept-new mode, and leaves known_hosts alone', async () => {
		const path = knownHosts(`${sshd.knownHostsLine()}\n`);
		const before = readFileSync(path, 'utf8');
		await connect({knownHostsPath: path});
		await sshd.restart({isNewHostKey: true});
		for (const isAcceptingNew of [false, true]) {
			await assert.rejects(connect({knownHostsPath: path, isAcceptingNew}), (error: unknown) => {
				isKind('host-key-changed')(error);
				assert.match((error as Error).message, /HAS CHANGED/);
				assert.ok((error as Error).message.includes(sshd.hostFingerprint()), (error as Error).message);
				return true;
			});
		}
		assert.equal(readFileSync(path, 'utf8'), before);
	});
});
