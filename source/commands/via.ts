import type {Config, SshSettings} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {ConfigError} from '../config/errors.js';
import {promptSecret} from '../config/secret-prompt.js';
import {createRoutes, type Routes} from '../route/routes.js';
import {Keyring, type AskPassphrase} from '../ssh/connect.js';
import {SshConnection} from '../ssh/connection.js';
import {SshError} from '../ssh/errors.js';
import {formatTarget} from '../ssh/target.js';
import {loadSshConfig, resolveSshHost, type ResolvedSshHost} from '../ssh/ssh-config.js';
import {TunnelPool} from '../ssh/tunnel-pool.js';

/** The SSH host every etcd connection goes through (`--via`), up and ready to carry tunnels. */
export interface Via {
	readonly connection: SshConnection;
	readonly pool: TunnelPool;
	/** Every member client and HTTP GET, through this host's tunnels. */
	readonly routes: Routes;
	close(): Promise<void>;
}

export interface OpenViaOptions {
	/** Diagnostics (a recorded host key, a bastion still unreachable). */
	readonly warn: (text: string) => void;
	/** Asks for an encrypted key's passphrase; default: a no-echo prompt when stdin is a terminal. */
	readonly askPassphrase?: AskPassphrase;
	readonly agentSocket?: string;
}

/** Kinds that a person must fix: the command stops before it starts, with exit 3, as for a bad flag. */
const needsOperator = new Set(['host-unknown', 'host-key-changed', 'host-key-revoked', 'passphrase', 'auth', 'config', 'bad-target', 'cancelled']);

function terminalPassphrase(): AskPassphrase | undefined {
	if (!process.stdin.isTTY) return undefined;
	return async (path, attempt) => promptSecret(`${attempt > 1 ? 'Wrong passphrase. ' : ''}Enter passphrase for key ${path}: `);
}

/**
 * Connects to the `--via` host before anything else runs, so that a host key or key problem is one
 * message on a normal terminal (never inside the console's screen) and exit 3. A host that does not
 * answer yet is not fatal: the connection keeps retrying with backoff and rows say "tunnel down".
 */
export async function openVia(config: Config, options: OpenViaOptions): Promise<Via | undefined> {
	const ssh = config.ssh;
	if (!ssh?.via) return undefined;
	const connection = await connectVia({...ssh, via: ssh.via}, config.dialTimeoutMs, options);
	const pool = new TunnelPool(connection);
	const routes = createRoutes(connectOptionsOf(config), pool);
	return {
		connection,
		pool,
		routes,
		async close() {
			await routes.close();
			await pool.close();
			connection.close();
		},
	};
}

/**
 * Decrypted identity keys for the whole process: the --via host may be connected to twice (once to read
 * its kubeadm files, once to carry the tunnels), and a key's passphrase is asked for once.
 */
let processKeyring: Keyring | undefined;
let currentAsk: AskPassphrase | undefined;
function keyringFor(ask: AskPassphrase | undefined): Keyring {
	currentAsk = ask;
	processKeyring ??= new Keyring(
		ask
			? async (path, attempt) => {
				if (!currentAsk) throw new Error('no terminal to ask on');
				return currentAsk(path, attempt);
			}
			: undefined,
	);
	return processKeyring;
}

/** The --via connection, up or retrying; a problem only the operator can fix is a ConfigError (exit 3). */
export async function connectVia(ssh: SshSettings & {readonly via: NonNullable<SshSettings['via']>}, dialTimeoutMs: number, options: OpenViaOptions): Promise<SshConnection> {
	const input = '--via';
	let connection: SshConnection;
	let host: ResolvedSshHost;
	let keyring: Keyring;
	// Prompts only before the command takes the terminal: a reconnect inside the console must never
	// write a prompt over its screen or read its keys.
	let isTerminalOurs = true;
	const ask = options.askPassphrase ?? terminalPassphrase();
	const askPassphrase: AskPassphrase | undefined = ask
		? async (path, attempt) => {
			if (!isTerminalOurs) throw new Error('no terminal to ask on');
			return ask(path, attempt);
		}
		: undefined;
	try {
		host = resolveSshHost(ssh.via, {blocks: loadSshConfig(), ...(ssh.identityFile === undefined ? {} : {identityFile: ssh.identityFile})});
		keyring = options.askPassphrase ? new Keyring(askPassphrase) : keyringFor(askPassphrase);
		connection = new SshConnection({
			host,
			hostKeys: {knownHostsPath: ssh.knownHostsPath, isAcceptingNew: ssh.isAcceptingNew},
			keyring,
			readyTimeoutMs: Math.max(10_000, dialTimeoutMs),
			...(options.agentSocket === undefined ? {} : {agentSocket: options.agentSocket}),
			onHostKey: event => {
				const name = event.port === 22 ? event.host : `[${event.host}]:${event.port}`;
				// Once the command owns the terminal (the console's screen), a line here would land on it.
				if (isTerminalOurs) options.warn(`etcdtop: recorded the host key of ${name} (${event.fingerprint}) in ${event.path}`);
			},
		}).start();
	} catch (error) {
		if (error instanceof SshError) throw new ConfigError(input, error.problem, error.fix);
		throw error;
	}
	// The first attempt's outcome decides: up, failed for good (exit 3), or down and retrying.
	await new Promise<void>(resolve => {
		const onState = () => {
			if (connection.state === 'connecting') return;
			connection.off('state-changed', onState);
			resolve();
		};
		connection.on('state-changed', onState);
		onState();
	});
	const failure = connection.status.failure;
	if (connection.state === 'failed' || (failure && needsOperator.has(failure.kind))) {
		connection.close();
		// The message already carries its fix (ssh-keyscan, ssh-keygen -R, ssh-add) in parentheses.
		throw new ConfigError(input, failure?.message ?? `SSH to ${formatTarget(ssh.via)} failed`);
	}
	if (connection.state !== 'up') {
		// The host did not answer, so no key was asked for yet: ask now, while the terminal is ours, so
		// that the reconnect that succeeds later has the key in memory.
		for (const path of host.identityFiles) {
			const key = await keyring.load(path);
			if (key instanceof SshError && key.kind !== 'config') {
				connection.close();
				throw new ConfigError('--ssh-identity', key.problem, key.fix);
			}
		}
		options.warn(`etcdtop: SSH to ${connection.label} is not up (${failure?.message.replace(`SSH to ${connection.label}: `, '') ?? 'no answer'}); retrying in the background, members show "tunnel down" until it is`);
	}
	isTerminalOurs = false;
	return connection;
}

/** Files of the --via host, read over one SSH connection for as long as the kubeadm detection needs it. */
export interface ViaFiles {
	/** `user@host[:port]` as the operator wrote it, for messages. */
	readonly label: string;
	read(path: string): Promise<Buffer>;
	/** Reads these files in one round trip; read() answers them from memory after. */
	prefetch(paths: readonly string[]): Promise<void>;
	close(): void;
}

/**
 * Connects to the --via host to read files there (read-only: `cat` of named files). A host that does not
 * answer cannot tell where etcd is: that is a ConfigError naming the flags that say it instead.
 */
export async function openViaFiles(ssh: SshSettings & {readonly via: NonNullable<SshSettings['via']>}, dialTimeoutMs: number, options: OpenViaOptions): Promise<ViaFiles> {
	const connection = await connectVia(ssh, dialTimeoutMs, options);
	const label = connection.label;
	try {
		await connection.waitUntilUp({timeoutMs: Math.max(10_000, dialTimeoutMs)});
	} catch {
		const failure = connection.status.failure;
		connection.close();
		throw new ConfigError('--via', `SSH to ${label} is not up (${failure?.message ?? 'no answer'}), so its kubeadm manifest cannot be read`, 'try again once it answers, or give --endpoints and the TLS flags');
	}
	const {readRemoteFile, readRemoteFiles} = await import('../ssh/remote-file.js');
	// A session is a login on the host: seconds on a busy one.
	const timeoutMs = Math.max(30_000, dialTimeoutMs);
	const fetched = new Map<string, Buffer | Error>();
	const clientOf = () => {
		const client = connection.client;
		if (!client) throw new SshError('unreachable', `SSH to ${label} dropped`);
		return client;
	};
	return {
		label,
		async read(path) {
			const known = fetched.get(path);
			if (known instanceof Error) throw known;
			return known ?? readRemoteFile(clientOf(), path, {timeoutMs});
		},
		async prefetch(paths) {
			const wanted = [...new Set(paths)].filter(path => !fetched.has(path));
			for (const [path, result] of await readRemoteFiles(clientOf(), wanted, {timeoutMs})) fetched.set(path, result);
		},
		close() {
			connection.close();
		},
	};
}
