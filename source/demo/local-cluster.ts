import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {MemberClient, type ConnectOptions} from '../etcd/member-client.js';
import {freePort} from './free-port.js';

export interface LocalTls {
	readonly caFile: string;
	readonly certFile: string;
	readonly keyFile: string;
}

export interface LocalClusterOptions {
	readonly members?: number;
	readonly etcdBinary?: string;
	/** Serve clients over https with these files and require client certificates. */
	readonly tls?: LocalTls;
	/** Backend quota in bytes (etcd's --quota-backend-bytes). */
	readonly quotaBytes?: number;
	readonly namePrefix?: string;
	readonly readyTimeoutMs?: number;
	/** Also serve /metrics and /health on a plain-http listener of its own (etcd's --listen-metrics-urls). */
	readonly isServingMetrics?: boolean;
}

export interface LocalMember {
	readonly name: string;
	readonly clientUrl: string;
	readonly peerUrl: string;
	readonly dataDir: string;
	readonly logFile: string;
	/** The --listen-metrics-urls listener, with isServingMetrics. */
	readonly metricsUrl?: string;
}

/** A member process ended while its cluster was starting (most often: its port was taken meanwhile). */
class MemberExitedError extends Error {}

export class EtcdNotFoundError extends Error {
	override readonly name = 'EtcdNotFoundError';
	constructor(binary: string) {
		super(
			`"${binary}" was not found on PATH. Install etcd first, e.g. on Debian/Ubuntu: sudo apt-get install -y etcd-server etcd-client`,
		);
	}
}

export function hasEtcdBinary(binary = 'etcd'): boolean {
	const probe = spawnSync(binary, ['--version'], {stdio: 'ignore'});
	return probe.error === undefined && probe.status === 0;
}

/**
 * A throwaway etcd cluster on free loopback ports with temporary data dirs. It serves `etcdtop demo`
 * and the e2e tests; every process it starts is tracked by PID and ended by `stop()`.
 */
export class LocalCluster {
	readonly baseDir: string;
	readonly members: LocalMember[] = [];
	private readonly processes = new Map<string, ChildProcess>();
	private readonly binary: string;
	private readonly token: string;
	private isStopped = false;

	private constructor(private readonly options: LocalClusterOptions) {
		this.binary = options.etcdBinary ?? 'etcd';
		this.baseDir = mkdtempSync(join(tmpdir(), 'etcdtop-cluster-'));
		this.token = `etcdtop-${process.pid}-${Date.now().toString(36)}`;
	}

	static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
		const binary = options.etcdBinary ?? 'etcd';
		if (!hasEtcdBinary(binary)) throw new EtcdNotFoundError(binary);
		for (let attempt = 1; ; attempt++) {
			const cluster = new LocalCluster(options);
			try {
				await cluster.boot(options.members ?? 3);
				return cluster;
			} catch (error) {
				// A port freePort() handed out can be taken by another process before etcd binds it, and etcd
				// exits: start afresh on new ports. The last failure keeps its logs for whoever reads the error.
				const isRetrying = error instanceof MemberExitedError && attempt < 3;
				await cluster.stop({isKeepingFiles: !isRetrying});
				if (!isRetrying) throw error;
			}
		}
	}

	get endpoints(): string[] {
		return this.members.map(member => member.clientUrl);
	}

	member(name: string): LocalMember {
		const member = this.members.find(candidate => candidate.name === name);
		if (!member) throw new Error(`no member named ${name}`);
		return member;
	}

	pid(name: string): number | undefined {
		return this.processes.get(name)?.pid;
	}

	/** Sends a real signal to one member: SIGSTOP hangs it, SIGCONT resumes it, SIGKILL kills it. */
	signal(name: string, signal: NodeJS.Signals): void {
		const pid = this.pid(name);
		if (pid === undefined) throw new Error(`member ${name} is not running`);
		process.kill(pid, signal);
	}

	async kill(name: string): Promise<void> {
		const child = this.processes.get(name);
		if (!child?.pid) return;
		const exited = new Promise(resolve => child.once('exit', resolve));
		process.kill(child.pid, 'SIGKILL');
		await exited;
		this.processes.delete(name);
	}

	/** Starts a stopped or killed member again from its data dir. */
	restart(name: string): void {
		if (this.processes.has(name)) throw new Error(`member ${name} is still running`);
		const initialCluster = this.members.map(member => `${member.name}=${member.peerUrl}`).join(',');
		this.launch(this.member(name), initialCluster, 'existing');
	}

	/**
	 * Starts one more etcd process outside the initial cluster — a member being added — configured by `env`
	 * (etcd reads ETCD_* variables as flags) and `args`, with a fresh data dir and log here. It is tracked by
	 * PID and ended by stop() like the others.
	 */
	startExtra(name: string, {env = {}, args = []}: {readonly env?: Readonly<Record<string, string>>; readonly args?: readonly string[]} = {}): {readonly dataDir: string; readonly logFile: string; readonly pid: number | undefined} {
		if (this.processes.has(name)) throw new Error(`member ${name} is already running`);
		const dataDir = join(this.baseDir, name, 'data');
		mkdirSync(join(this.baseDir, name), {recursive: true, mode: 0o700});
		const logFile = join(this.baseDir, `${name}.log`);
		const log = openSync(logFile, 'a');
		const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
		const child = spawn(this.binary, [`--data-dir=${dataDir}`, '--logger=zap', '--log-outputs=stderr', ...args], {stdio: ['ignore', log, log], env: {...inherited, ...env}});
		closeSync(log);
		child.on('exit', () => {
			if (this.processes.get(name) === child) this.processes.delete(name);
		});
		this.processes.set(name, child);
		return {dataDir, logFile, pid: child.pid};
	}

	/** `auth`: once auth is on, etcd 3.5.28+ answers Status only for a user with the root role. */
	async waitReady(timeoutMs = this.options.readyTimeoutMs ?? 30_000, auth?: ConnectOptions['auth']): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		const running = this.members.filter(member => this.processes.has(member.name));
		const clients = running.map(member => new MemberClient(member.clientUrl, {tls: this.clientTls(), dialTimeoutMs: 1000, commandTimeoutMs: 1000, ...(auth ? {auth} : {})}));
		try {
			for (;;) {
				const exited = running.filter(member => !this.processes.has(member.name));
				if (exited.length > 0) throw new MemberExitedError(`etcd ${exited.map(member => member.name).join(', ')} exited while the cluster started (logs in ${this.baseDir})`);
				const answers = await Promise.allSettled(clients.map(async client => client.status(1000)));
				const hasLeader = answers.every(answer => answer.status === 'fulfilled' && answer.value.leader !== '0');
				// A member publishes its name through raft only after it serves: until then MemberList lists it
				// nameless, and a test that starts at once sees IDs where names belong.
				if (hasLeader && (await this.isEveryNamePublished(clients[0]!))) return;
				if (Date.now() > deadline) {
					const failed = running.filter((_, index) => answers[index]?.status !== 'fulfilled').map(m => m.name);
					throw new Error(`etcd cluster not ready after ${timeoutMs}ms (not answering: ${failed.join(', ') || 'none'}; logs in ${this.baseDir})`);
				}
				await new Promise(resolve => setTimeout(resolve, 100));
			}
		} finally {
			for (const client of clients) client.close();
		}
	}

	private async isEveryNamePublished(client: MemberClient): Promise<boolean> {
		const running = this.members.filter(member => this.processes.has(member.name)).map(member => member.name);
		const published = await client.memberList(1000).then(list => new Set(list.members.map(member => member.name)), () => new Set<string>());
		return running.every(name => published.has(name));
	}

	/** Ends every process by PID (resuming stopped ones first) and removes the data unless kept. */
	async stop({isKeepingFiles = false}: {isKeepingFiles?: boolean} = {}): Promise<void> {
		if (this.isStopped) return;
		this.isStopped = true;
		await Promise.all(
			[...this.processes.values()].map(async child => {
				if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
				const exited = new Promise(resolve => child.once('exit', resolve));
				try {
					process.kill(child.pid, 'SIGCONT');
					process.kill(child.pid, 'SIGTERM');
				} catch {
					return;
				}
				const timer = setTimeout(() => {
					try {
						process.kill(child.pid!, 'SIGKILL');
					} catch {}
				}, 3000);
				await exited;
				clearTimeout(timer);
			}),
		);
		this.processes.clear();
		if (!isKeepingFiles) rmSync(this.baseDir, {recursive: true, force: true, maxRetries: 5});
	}

	/**
	 * For a process that is exiting and cannot wait: kills every member by PID and removes the data.
	 * Safe to call after stop().
	 */
	destroySync(): void {
		for (const child of this.processes.values()) {
			try {
				if (child.pid) process.kill(child.pid, 'SIGKILL');
			} catch {}
		}
		this.processes.clear();
		this.isStopped = true;
		rmSync(this.baseDir, {recursive: true, force: true});
	}

	private clientTls() {
		const tls = this.options.tls;
		if (!tls) return undefined;
		return {ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), isInsecureSkipVerify: false};
	}

	private async boot(count: number): Promise<void> {
		if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error('a local cluster has 1 to 9 members');
		const scheme = this.options.tls ? 'https' : 'http';
		const prefix = this.options.namePrefix ?? 'etcd';
		for (let index = 0; index < count; index++) {
			const name = `${prefix}-${index + 1}`;
			const dataDir = join(this.baseDir, name);
			mkdirSync(dataDir, {mode: 0o700});
			this.members.push({
				name,
				clientUrl: `${scheme}://127.0.0.1:${await freePort()}`,
				...(this.options.isServingMetrics ? {metricsUrl: `http://127.0.0.1:${await freePort()}`} : {}),
				peerUrl: `http://127.0.0.1:${await freePort()}`,
				dataDir: join(dataDir, 'data'),
				logFile: join(this.baseDir, `${name}.log`),
			});
		}
		const initialCluster = this.members.map(member => `${member.name}=${member.peerUrl}`).join(',');
		for (const member of this.members) this.launch(member, initialCluster, 'new');
		await this.waitReady();
	}

	private launch(member: LocalMember, initialCluster: string, state: 'new' | 'existing'): void {
		const tls = this.options.tls;
		const args = [
			`--name=${member.name}`,
			`--data-dir=${member.dataDir}`,
			`--listen-client-urls=${member.clientUrl}`,
			`--advertise-client-urls=${member.clientUrl}`,
			`--listen-peer-urls=${member.peerUrl}`,
			`--initial-advertise-peer-urls=${member.peerUrl}`,
			`--initial-cluster=${initialCluster}`,
			`--initial-cluster-state=${state}`,
			`--initial-cluster-token=${this.token}`,
			'--heartbeat-interval=100',
			'--election-timeout=1000',
			'--logger=zap',
			'--log-outputs=stderr',
			...(this.options.quotaBytes ? [`--quota-backend-bytes=${this.options.quotaBytes}`] : []),
			...(member.metricsUrl ? [`--listen-metrics-urls=${member.metricsUrl}`] : []),
			...(tls ? [`--cert-file=${tls.certFile}`, `--key-file=${tls.keyFile}`, `--trusted-ca-file=${tls.caFile}`, '--client-cert-auth'] : []),
		];
		const log = openSync(member.logFile, 'a');
		// etcd reads ETCD_* variables as flags; the caller's must not leak into a throwaway cluster.
		const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
		const child = spawn(this.binary, args, {stdio: ['ignore', log, log], env});
		closeSync(log);
		child.on('exit', () => {
			if (this.processes.get(member.name) === child) this.processes.delete(member.name);
		});
		this.processes.set(member.name, child);
	}
}
