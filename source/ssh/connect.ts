import {existsSync, readFileSync} from 'node:fs';
import type {Duplex} from 'node:stream';
// ssh2 is CommonJS: node's ESM loader only sees its default export.
import ssh2, {type AnyAuthMethod, type AuthenticationType, type Client, type ConnectConfig, type NextAuthHandler, type ParsedKey} from 'ssh2';
import {classifySshError, SshError} from './errors.js';
import {
	appendKnownHost,
	checkHostKey,
	fingerprint,
	formatKnownHostsLine,
	keyscanHint,
	keyTypeOf,
	preferredHostKeyAlgorithms,
	readKnownHosts,
} from './known-hosts.js';
import {quoteArgv} from './quote.js';
import type {ResolvedSshHost} from './ssh-config.js';

/** Asks the operator for a key's passphrase (a masked prompt in the TUI, /dev/tty in the CLI). */
export type AskPassphrase = (keyPath: string, attempt: number) => Promise<string>;

export interface HostKeyPolicy {
	/** `--ssh-known-hosts`, default ~/.ssh/known_hosts. */
	readonly knownHostsPath: string;
	/** `--ssh-accept-new`: record an unknown host's key (never a changed one). */
	readonly isAcceptingNew: boolean;
	/** Write new entries hashed, as Debian's `HashKnownHosts yes`. Default true. */
	readonly isHashingNew?: boolean;
}

export type HostKeyEvent =
	| {readonly type: 'host-key-recorded'; readonly host: string; readonly port: number; readonly fingerprint: string; readonly path: string};

export interface SshConnectOptions {
	readonly host: ResolvedSshHost;
	readonly hostKeys: HostKeyPolicy;
	readonly keyring: Keyring;
	/** ssh-agent socket; default SSH_AUTH_SOCK. An empty string turns the agent off. */
	readonly agentSocket?: string;
	/** From TCP connect to authenticated; paused while a passphrase prompt is open. */
	readonly readyTimeoutMs?: number;
	readonly keepaliveIntervalMs?: number;
	readonly keepaliveCountMax?: number;
	/** An already open stream to the server (a jump host's forwarded channel). */
	readonly sock?: Duplex;
	readonly signal?: AbortSignal;
	readonly onHostKey?: (event: HostKeyEvent) => void;
}

const maxPassphraseAttempts = 3;

/**
 * Decrypted private keys by path, so a reconnect does not ask again. Keys live only in memory; a
 * passphrase is used once and dropped.
 */
export class Keyring {
	private readonly keys = new Map<string, Promise<ParsedKey | SshError | undefined>>();

	constructor(private readonly askPassphrase?: AskPassphrase) {}

	/** The key at path, undefined when the file does not exist, an SshError when it cannot be used. */
	async load(path: string): Promise<ParsedKey | SshError | undefined> {
		let loaded = this.keys.get(path);
		if (!loaded) {
			loaded = this.read(path);
			this.keys.set(path, loaded);
		}
		return loaded;
	}

	private async read(path: string): Promise<ParsedKey | SshError | undefined> {
		if (!existsSync(path)) return undefined;
		let data: Buffer;
		try {
			data = readFileSync(path);
		} catch (error) {
			return new SshError('config', `cannot read identity ${path}: ${(error as Error).message}`);
		}
		let parsed = ssh2.utils.parseKey(data);
		if (!(parsed instanceof Error)) return firstPrivate(parsed, path);
		if (!/no passphrase given/i.test(parsed.message)) return new SshError('config', `identity ${path} is not a usable private key: ${parsed.message}`);
		if (!this.askPassphrase) {
			return new SshError('passphrase', `identity ${path} is encrypted and there is no terminal to ask for its passphrase`, `add it to ssh-agent first: ssh-add ${path}`);
		}
		for (let attempt = 1; attempt <= maxPassphraseAttempts; attempt++) {
			let passphrase: string;
			try {
				passphrase = await this.askPassphrase(path, attempt);
			} catch {
				return new SshError('cancelled', `no passphrase given for ${path}`);
			}
			parsed = ssh2.utils.parseKey(data, passphrase);
			if (!(parsed instanceof Error)) return firstPrivate(parsed, path);
		}
		// The parser's message says nothing about the passphrase itself; ours does not either.
		return new SshError('passphrase', `wrong passphrase for ${path} (${maxPassphraseAttempts} attempts)`);
	}
}

function firstPrivate(parsed: ParsedKey | ParsedKey[], path: string): ParsedKey | SshError {
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (!key || !key.isPrivateKey()) return new SshError('config', `identity ${path} holds no private key`);
	return key;
}

function describe(host: ResolvedSshHost): string {
	const where = host.port === 22 ? host.host : `${host.host}:${host.port}`;
	return host.alias === host.host ? `${host.user}@${where}` : `${host.user}@${where} (${host.alias})`;
}

/**
 * Verifies the presented host key against known_hosts: returns undefined to accept, or the error to
 * fail with. A changed or revoked key is refused whatever accept-new says.
 */
export function verifyHostKey(key: Buffer, host: string, port: number, policy: HostKeyPolicy, onHostKey?: (event: HostKeyEvent) => void): SshError | undefined {
	const entries = readKnownHosts(policy.knownHostsPath);
	const verdict = checkHostKey(entries, host, port, key);
	const print = fingerprint(key);
	const type = keyTypeOf(key);
	const name = port === 22 ? host : `[${host}]:${port}`;
	switch (verdict.status) {
		case 'known':
			return undefined;
		case 'revoked':
			return new SshError('host-key-revoked', `host key ${type} ${print} of ${name} is marked @revoked in ${policy.knownHostsPath}:${verdict.line}; refusing to connect`);
		case 'changed':
			return new SshError(
				'host-key-changed',
				`HOST KEY FOR ${name} HAS CHANGED: it now presents ${type} ${print}, which does not match ${policy.knownHostsPath} line ${verdict.lines.join(', ')}. Someone may be intercepting the connection; refusing to connect`,
				`if the host was really re-keyed, verify the new fingerprint out of band, remove the old entry with ${quoteArgv(['ssh-keygen', '-R', name, '-f', policy.knownHostsPath])} and try again`,
			);
		case 'unknown': {
			if (!policy.isAcceptingNew) {
				return new SshError(
					'host-unknown',
					`host ${name} is not in ${policy.knownHostsPath}; it presents ${type} ${print}`,
					`${keyscanHint(host, port, type, policy.knownHostsPath)}; or pass --ssh-accept-new to record it on first use`,
				);
			}
			try {
				appendKnownHost(policy.knownHostsPath, formatKnownHostsLine(host, port, key, policy.isHashingNew ?? true));
			} catch (error) {
				return new SshError('config', `cannot record the host key of ${name} in ${policy.knownHostsPath}: ${(error as Error).message}`);
			}
			onHostKey?.({type: 'host-key-recorded', host, port, fingerprint: print, path: policy.knownHostsPath});
			return undefined;
		}
	}
}

/**
 * One authenticated SSH connection. Auth order as OpenSSH: every key in ssh-agent, then each identity
 * file (an encrypted one asks for its passphrase only when reached). Rejects with an SshError.
 */
export async function connectSsh(options: SshConnectOptions): Promise<Client> {
	const {host, hostKeys, keyring, signal} = options;
	if (signal?.aborted) throw new SshError('cancelled', `connecting to ${describe(host)} was cancelled`);
	const client = new ssh2.Client();
	const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
	const agentSocket = options.agentSocket ?? process.env.SSH_AUTH_SOCK ?? '';
	const tried: string[] = [];
	let keyFailure: SshError | undefined;
	let hostKeyFailure: SshError | undefined;
	const entries = readKnownHosts(hostKeys.knownHostsPath);

	return new Promise<Client>((resolve, reject) => {
		let isSettled = false;
		let timer: NodeJS.Timeout | undefined;
		const armTimer = () => {
			clearTimeout(timer);
			timer = setTimeout(() => fail(new SshError('timeout', `${describe(host)} did not complete the SSH handshake within ${readyTimeoutMs}ms`)), readyTimeoutMs);
		};
		const onAbort = () => fail(new SshError('cancelled', `connecting to ${describe(host)} was cancelled`));
		const settle = () => {
			isSettled = true;
			clearTimeout(timer);
			signal?.removeEventListener('abort', onAbort);
		};
		const fail = (error: SshError) => {
			if (isSettled) return;
			settle();
			client.end();
			// end() only asks politely; a server that never answers would keep the socket open.
			(client as unknown as {_sock?: {destroy?: () => void}})._sock?.destroy?.();
			reject(error);
		};
		signal?.addEventListener('abort', onAbort, {once: true});

		const steps: Array<() => Promise<AnyAuthMethod | undefined>> = [];
		if (agentSocket !== '') {
			steps.push(async () => {
				tried.push('ssh-agent');
				return {type: 'agent' as const, username: host.user, agent: agentSocket};
			});
		}
		for (const path of host.identityFiles) {
			steps.push(async () => {
				// A passphrase prompt (ours, or another connection's for the same key) waits on a human.
				clearTimeout(timer);
				const key = await keyring.load(path);
				if (!isSettled) armTimer();
				if (key === undefined) return undefined;
				if (key instanceof SshError) {
					keyFailure ??= key;
					return undefined;
				}
				tried.push(path);
				return {type: 'publickey' as const, username: host.user, key};
			});
		}
		let step = 0;
		const authHandler = (_methodsLeft: unknown, _partial: unknown, next: NextAuthHandler): void => {
			void (async () => {
				while (step < steps.length) {
					const auth = await steps[step++]!().catch((error: unknown) => {
						keyFailure ??= new SshError('config', `cannot use a key: ${(error as Error).message}`);
						return undefined;
					});
					if (isSettled) return;
					if (auth) return next(auth);
				}
				// ssh2's type says a method name, but false is its documented "nothing left to try".
				next(false as unknown as AuthenticationType);
			})();
		};

		client.on('error', (error: Error & {level?: string}) => {
			if (isSettled) return;
			// A missing agent or one unusable key is not the end: ssh2 moves on to the next method.
			if (error.level === 'agent') return;
			if (error.level === 'client-authentication' && !/All configured authentication methods failed/.test(error.message)) return;
			if (hostKeyFailure) return fail(hostKeyFailure);
			if (error.level === 'client-authentication') {
				if (keyFailure && keyFailure.kind !== 'config') return fail(keyFailure);
				const what = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no ssh-agent and no identity file found';
				return fail(new SshError('auth', `${describe(host)} refused every key (${what})${keyFailure ? `; ${keyFailure.message}` : ''}`, 'load a key with ssh-add, or pass --ssh-identity FILE'));
			}
			const {kind, message} = classifySshError(error);
			fail(new SshError(kind, `SSH to ${describe(host)}: ${message}`));
		});
		client.on('close', () => fail(hostKeyFailure ?? new SshError('unreachable', `${describe(host)} closed the connection during the SSH handshake`)));
		client.on('ready', () => {
			if (isSettled) return client.end();
			// Tunnelled etcd calls are small request/response pairs: Nagle would hold each for an ACK.
			client.setNoDelay(true);
			settle();
			resolve(client);
		});

		const config: ConnectConfig = {
			host: host.host,
			port: host.port,
			username: host.user,
			readyTimeout: 0,
			keepaliveInterval: options.keepaliveIntervalMs ?? 5000,
			keepaliveCountMax: options.keepaliveCountMax ?? 3,
			algorithms: {serverHostKey: preferredHostKeyAlgorithms(entries, host.host, host.port) as never},
			hostVerifier: (key: Buffer) => {
				try {
					hostKeyFailure = verifyHostKey(key, host.host, host.port, hostKeys, options.onHostKey);
				} catch (error) {
					// An unreadable known_hosts must refuse the key, not throw inside ssh2's parser.
					hostKeyFailure = error instanceof SshError ? error : new SshError('config', `cannot check the host key: ${(error as Error).message}`);
				}
				return hostKeyFailure === undefined;
			},
			authHandler,
			...(options.sock ? {sock: options.sock as never} : {}),
		};
		armTimer();
		try {
			client.connect(config);
		} catch (error) {
			fail(new SshError('error', `SSH to ${describe(host)}: ${(error as Error).message}`));
		}
	});
}

/**
 * Opens a direct-tcpip channel through a connected client. ssh2 throws synchronously ("Not connected")
 * once the connection is gone, so both failure paths end in the same rejection.
 */
export async function forwardOut(client: Client, host: string, port: number, from: {readonly address?: string; readonly port?: number} = {}): Promise<Duplex> {
	return new Promise((resolve, reject) => {
		try {
			client.forwardOut(from.address ?? '127.0.0.1', from.port ?? 0, host, port, (error, stream) => {
				if (error) reject(new SshError('forward-refused', `the SSH host could not open ${host}:${port}: ${error.message}`));
				else resolve(stream);
			});
		} catch (error) {
			reject(new SshError('unreachable', `the SSH connection is gone: ${(error as Error).message}`));
		}
	});
}

/** A second SSH connection to `target`, carried inside a channel of `jump` (OpenSSH's ProxyJump). */
export async function connectThrough(jump: Client, options: SshConnectOptions): Promise<Client> {
	const stream = await forwardOut(jump, options.host.host, options.host.port);
	try {
		return await connectSsh({...options, sock: stream});
	} catch (error) {
		stream.destroy();
		throw error;
	}
}
