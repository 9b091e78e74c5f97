import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import ssh2 from 'ssh2';
import {freePort} from '../../source/demo/free-port.js';

const sshdBinary = '/usr/sbin/sshd';

export function hasSshd(): boolean {
	return existsSync(sshdBinary) && spawnSync('ssh-keygen', ['-?'], {stdio: 'ignore'}).error === undefined;
}

function keygen(args: readonly string[]): void {
	const result = spawnSync('ssh-keygen', ['-q', ...args], {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')} failed: ${result.stderr}`);
}

/**
 * An ed25519 key encrypted with passphrase, made in-process so the passphrase is in no argv. ssh2's
 * generator writes an unreadable key now and then (3 of 400 here: "Malformed OpenSSH private key", and
 * ssh-keygen -y refuses them too: "error in libcrypto"), which made a run's passphrase tests type the
 * right passphrase and read "Wrong passphrase": a key is kept only once it reads back with its passphrase.
 */
function encryptedKeyPair(passphrase: string): {readonly private: string; readonly public: string} {
	for (let attempt = 1; ; attempt++) {
		const pair = ssh2.utils.generateKeyPairSync('ed25519', {passphrase, cipher: 'aes256-ctr', rounds: 16, comment: 'etcdtop-encrypted'});
		if (!(ssh2.utils.parseKey(pair.private, passphrase) instanceof Error)) return pair;
		if (attempt === 10) throw new Error('ssh2 made 10 encrypted keys in a row that do not read back');
	}
}

/** The parent PID of a process from /proc, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name in parentheses may hold spaces; the fields after the last ")" do not.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return fields[0] === 'Z' ? undefined : Number(fields[1]);
	} catch {
		return undefined;
	}
}

function stateOf(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
	} catch {
		return undefined;
	}
}

function exists(pid: number): boolean {
	return existsSync(`/proc/${pid}`);
}

/** Live descendants of pid by generation: sshd forks one process per session, which forks more. */
/**
 * PIDs of the processes holding a TCP socket whose local port is `port` (the sshd listener's sessions
 * on 127.0.0.1:port), found through /proc: a session forked just before its listener was killed is
 * no longer the listener's child, but still holds the client's connection open.
 */
function holdersOfLocalPort(port: number): number[] {
	const inodes = new Set<string>();
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		if (!existsSync(table)) continue;
		for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
			const fields = line.trim().split(/\s+/);
			const local = fields[1];
			if (local && Number.parseInt(local.split(':')[1] ?? '', 16) === port && fields[9] && fields[9] !== '0') inodes.add(fields[9]);
		}
	}
	if (inodes.size === 0) return [];
	const holders: number[] = [];
	for (const entry of readdirSync('/proc')) {
		const pid = Number(entry);
		if (!Number.isInteger(pid) || pid === process.pid) continue;
		try {
			const fds = readdirSync(`/proc/${pid}/fd`);
			if (fds.some(fd => {
				try {
					const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
					return target.startsWith('socket:[') && inodes.has(target.slice(8, -1));
				} catch {
					return false;
				}
			})) holders.push(pid);
		} catch {}
	}
	return holders;
}

function generations(pid: number): number[][] {
	const all = readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number);
	const levels: number[][] = [];
	let parents = [pid];
	while (parents.length > 0) {
		const children = all.filter(candidate => parents.includes(parentOf(candidate) ?? -1));
		if (children.length > 0) levels.push(children);
		parents = children;
	}
	return levels;
}

/** sshd could not bind its port: another process took it after freePort() handed it out. */
class PortTakenError extends Error {}

export interface UserKeys {
	/** ed25519, OpenSSH format, no passphrase (ssh-keygen). */
	readonly plain: string;
	/** RSA in the old PEM format (ssh-keygen -m PEM). */
	readonly pem: string;
	/** ed25519, OpenSSH format, encrypted with `passphrase` (made in-process so it is in no argv). */
	readonly encrypted: string;
	readonly passphrase: string;
	/** A key sshd does not authorize. */
	readonly stranger: string;
}

/**
 * A real OpenSSH sshd on 127.0.0.1 with throwaway host and user keys in a temp dir, run in the
 * foreground (-D -e) and ended by PID — its session processes too, which outlive the listener.
 */
export class TestSshd {
	readonly user = userInfo().username;
	readonly keys: UserKeys;
	readonly knownHostsFile: string;
	readonly logFile: string;
	private process: ChildProcess | undefined;
	private hostKeyGeneration = 0;

	private listenPort = 0;

	private constructor(
		readonly dir: string,
		/** DEBUG1 logs every direct-tcpip channel ("server_request_direct_tcpip: ... target HOST port N"). */
		private readonly logLevel = 'VERBOSE',
	) {
		this.logFile = join(dir, 'sshd.log');
		this.knownHostsFile = join(dir, 'known_hosts');
		const passphrase = `pass-${Math.random().toString(36).slice(2)}`;
		this.keys = {
			plain: join(dir, 'id_ed25519'),
			pem: join(dir, 'id_rsa_pem'),
			encrypted: join(dir, 'id_ed25519_encrypted'),
			passphrase,
			stranger: join(dir, 'id_stranger'),
		};
	}

	static async start({logLevel}: {readonly logLevel?: 'VERBOSE' | 'DEBUG1'} = {}): Promise<TestSshd> {
		const dir = mkdtempSync(join(tmpdir(), 'etcdtop-sshd-'));
		const sshd = new TestSshd(dir, logLevel);
		try {
			sshd.makeKeys();
			// The port is free when freePort() returns, not when sshd binds it: another process (a test file
			// running beside this one, an outgoing connection's ephemeral port) may take it meanwhile, and sshd
			// exits "Address already in use". Chosen after the keys (seconds under load), and chosen again then.
			for (let attempt = 1; ; attempt++) {
				sshd.listenPort = await freePort();
				sshd.writeConfig();
				writeFileSync(sshd.knownHostsFile, `${sshd.knownHostsLine()}\n`, {mode: 0o600});
				try {
					await sshd.launch();
					return sshd;
				} catch (error) {
					if (!(error instanceof PortTakenError) || attempt === 3) throw error;
				}
			}
		} catch (error) {
			await sshd.stop();
			throw error;
		}
	}

	/** The port sshd listens on (127.0.0.1). */
	get port(): number {
		return this.listenPort;
	}

	get hostKeyFile(): string {
		return join(this.dir, `host_ed25519_${this.hostKeyGeneration}`);
	}

	get pid(): number | undefined {
		return this.process?.pid;
	}

	/** The targets of every direct-tcpip channel so far (needs logLevel DEBUG1): "host:port". */
	forwardedTargets(): string[] {
		const log = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
		return [...log.matchAll(/server_request_direct_tcpip: originator \S+ port \d+, target (\S+) port (\d+)/g)].map(match => `${match[1]}:${match[2]}`);
	}

	/** The host key as known_hosts stores it: `[127.0.0.1]:port ssh-ed25519 AAAA…`. */
	knownHostsLine(): string {
		const [type, key] = readFileSync(`${this.hostKeyFile}.pub`, 'utf8').trim().split(/\s+/);
		return `[127.0.0.1]:${this.port} ${type} ${key}`;
	}

	/** ssh-keygen's own fingerprint of the current host key: an independent check of ours. */
	hostFingerprint(): string {
		const result = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${this.hostKeyFile}.pub`], {encoding: 'utf8'});
		const match = /(SHA256:\S+)/.exec(result.stdout);
		if (!match) throw new Error(`ssh-keygen -l failed: ${result.stderr}`);
		return match[1]!;
	}

	/**
	 * Ends sshd and every session it forked, by PID, deepest first: each process dies while its parent
	 * still lives to reap it, so nothing is left as a zombie for an init that may not reap.
	 */
	async stop(): Promise<void> {
		const child = this.process;
		this.process = undefined;
		if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
		const pid = child.pid;
		// Listened for before any signal: an sshd that dies on its own mid-stop still resolves it.
		let hasExited = false;
		const exited = new Promise(resolve => child.once('exit', resolve)).then(() => (hasExited = true));
		/** A signal to the listener; false once it is gone (ESRCH), which ends the stop early. */
		const signal = (name: NodeJS.Signals): boolean => {
			try {
				process.kill(pid, name);
				return true;
			} catch {
				return false;
			}
		};
		// A stopped process would take SIGKILL only once continued; a hung-host test may end here.
		this.signalAllOf(pid, 'SIGCONT');
		// A client that reconnects at once (etcdtop does) gets a fresh session forked while the old ones
		// die: repeat until the listener, stopped so that it cannot fork, has no child left.
		for (let round = 0; round < 50 && !hasExited; round++) {
			await this.killSessions(pid);
			if (!signal('SIGSTOP')) break;
			const deadline = Date.now() + 2000;
			while (stateOf(pid) !== 'T' && Date.now() < deadline && !hasExited) await new Promise(resolve => setTimeout(resolve, 5));
			if (generations(pid).length === 0) break;
			signal('SIGCONT');
		}
		if (!hasExited && signal('SIGKILL')) await exited;
		// Whatever still serves a connection on this sshd's port is one of its sessions: end it by PID.
		for (const holder of holdersOfLocalPort(this.port)) {
			try {
				process.kill(holder, 'SIGKILL');
			} catch {}
		}
	}

	private async killSessions(pid: number): Promise<void> {
		for (const level of generations(pid).reverse()) {
			for (const session of level) {
				try {
					process.kill(session, 'SIGKILL');
				} catch {}
			}
			const deadline = Date.now() + 5000;
			while (level.some(exists) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
		}
	}

	/** Sends a real signal to sshd and all its sessions: SIGSTOP hangs the host, SIGCONT resumes it. */
	signalAll(signal: NodeJS.Signals): void {
		const pid = this.process?.pid;
		if (pid === undefined) throw new Error('sshd is not running');
		this.signalAllOf(pid, signal);
	}

	private signalAllOf(pid: number, signal: NodeJS.Signals): void {
		for (const target of [pid, ...generations(pid).flat()]) {
			try {
				process.kill(target, signal);
			} catch {}
		}
	}

	/** Starts again on the same port; with isNewHostKey the server presents a key known_hosts lacks. */
	async restart({isNewHostKey = false}: {readonly isNewHostKey?: boolean} = {}): Promise<void> {
		await this.stop();
		if (isNewHostKey) {
			this.hostKeyGeneration++;
			keygen(['-t', 'ed25519', '-N', '', '-f', this.hostKeyFile]);
			this.writeConfig();
		}
		await this.launch();
	}

	/** Stops sshd and removes the temp dir (kept when isKeepingFiles, for a failed test's logs). */
	async dispose({isKeepingFiles = false}: {readonly isKeepingFiles?: boolean} = {}): Promise<void> {
		await this.stop();
		if (!isKeepingFiles) rmSync(this.dir, {recursive: true, force: true, maxRetries: 5});
	}

	private makeKeys(): void {
		keygen(['-t', 'ed25519', '-N', '', '-f', this.hostKeyFile]);
		keygen(['-t', 'ed25519', '-N', '', '-C', 'etcdtop-test', '-f', this.keys.plain]);
		keygen(['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', this.keys.pem]);
		keygen(['-t', 'ed25519', '-N', '', '-f', this.keys.stranger]);
		const encrypted = encryptedKeyPair(this.keys.passphrase);
		writeFileSync(this.keys.encrypted, encrypted.private, {mode: 0o600});
		const authorized = [readFileSync(`${this.keys.plain}.pub`, 'utf8').trim(), readFileSync(`${this.keys.pem}.pub`, 'utf8').trim(), encrypted.public.trim()];
		writeFileSync(join(this.dir, 'authorized_keys'), `${authorized.join('\n')}\n`, {mode: 0o600});
	}

	private writeConfig(): void {
		const config = [
			`Port ${this.port}`,
			'ListenAddress 127.0.0.1',
			`HostKey ${this.hostKeyFile}`,
			`PidFile ${join(this.dir, 'sshd.pid')}`,
			`AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
			'UsePAM no',
			'StrictModes no',
			'PermitRootLogin prohibit-password',
			'PasswordAuthentication no',
			'KbdInteractiveAuthentication no',
			'PubkeyAuthentication yes',
			'AllowTcpForwarding yes',
			'UseDNS no',
			`LogLevel ${this.logLevel}`,
			'MaxStartups 100',
			'MaxSessions 100',
		];
		writeFileSync(join(this.dir, 'sshd_config'), `${config.join('\n')}\n`);
	}

	private async launch(): Promise<void> {
		// sshd running as root insists on its privilege separation directory.
		if (process.getuid?.() === 0) mkdirSync('/run/sshd', {recursive: true, mode: 0o755});
		const log = createWriteStream(this.logFile, {flags: 'a'});
		const child = spawn(sshdBinary, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], {stdio: ['ignore', 'ignore', 'pipe']});
		this.process = child;
		child.stderr!.pipe(log);
		await new Promise<void>((resolve, reject) => {
			let text = '';
			const timer = setTimeout(() => finish(new Error(`sshd did not start within 15s; log in ${this.logFile}:\n${text}`)), 15_000);
			const onData = (chunk: Buffer) => {
				text += chunk.toString();
				if (text.includes('Server listening on')) finish();
			};
			const onExit = (code: number | null) => {
				const message = `sshd exited with ${code} at start:\n${text}`;
				finish(/Address already in use/.test(text) ? new PortTakenError(message) : new Error(message));
			};
			const finish = (error?: Error) => {
				clearTimeout(timer);
				child.stderr!.off('data', onData);
				child.off('exit', onExit);
				if (error) reject(error);
				else resolve();
			};
			child.stderr!.on('data', onData);
			child.once('exit', onExit);
		});
	}
}
