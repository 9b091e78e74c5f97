import {EventEmitter} from 'node:events';
import type {Client} from 'ssh2';
import {connectSsh, type SshConnectOptions} from './connect.js';
import {classifySshError, SshError, type SshFailure, type SshFailureKind} from './errors.js';

/**
 * `connecting`: first attempt under way. `up`: authenticated, channels can open. `down`: lost or not
 * reachable, a retry is scheduled. `failed`: will not retry (host key, auth, passphrase, config need a
 * human). `closed`: closed by us.
 */
export type ConnectionState = 'connecting' | 'up' | 'down' | 'failed' | 'closed';

export interface ConnectionStatus {
	readonly state: ConnectionState;
	/** Epoch ms of the last state change. */
	readonly since: number;
	/** Why it is down or failed. */
	readonly failure: SshFailure | undefined;
	/** Consecutive failed attempts since it was last up. */
	readonly attempts: number;
	/** Epoch ms of the next attempt when down. */
	readonly retryAt: number | undefined;
}

export interface Backoff {
	readonly initialMs: number;
	readonly maxMs: number;
	/** Gives up (state `failed`) after this many consecutive failures; default: never. */
	readonly maxAttempts: number;
}

export interface SshConnectionOptions extends Omit<SshConnectOptions, 'signal' | 'sock'> {
	readonly backoff?: Partial<Backoff>;
}

/** Kinds a retry cannot fix: the operator must act, so reconnecting would only hammer the host. */
const permanentKinds: ReadonlySet<SshFailureKind> = new Set(['host-unknown', 'host-key-changed', 'host-key-revoked', 'passphrase', 'auth', 'config', 'bad-target', 'cancelled']);

export function backoffDelay(attempt: number, backoff: Backoff, random = Math.random): number {
	const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
	// ±20% so many etcdtops behind one bastion do not reconnect in lock step.
	return Math.round(base * (0.8 + 0.4 * random()));
}

export interface ConnectionEvents {
	'state-changed': [status: ConnectionStatus];
	'host-key-recorded': [event: {readonly host: string; readonly port: number; readonly fingerprint: string; readonly path: string}];
}

/**
 * One SSH host kept connected in the background. Nothing waits on it: state is a value to read or to
 * subscribe to, and a drop schedules a reconnect with capped exponential backoff.
 */
export class SshConnection extends EventEmitter<ConnectionEvents> {
	private current: Client | undefined;
	private statusValue: ConnectionStatus = {state: 'connecting', since: Date.now(), failure: undefined, attempts: 0, retryAt: undefined};
	private retryTimer: NodeJS.Timeout | undefined;
	private attempt: AbortController | undefined;
	private readonly backoff: Backoff;

	constructor(private readonly options: SshConnectionOptions) {
		super();
		this.backoff = {initialMs: 250, maxMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY, ...options.backoff};
	}

	get status(): ConnectionStatus {
		return this.statusValue;
	}

	get state(): ConnectionState {
		return this.statusValue.state;
	}

	/** The live client while `up`; undefined otherwise. */
	get client(): Client | undefined {
		return this.statusValue.state === 'up' ? this.current : undefined;
	}

	/** Where it connects, for messages. */
	get label(): string {
		const {user, host, port} = this.options.host;
		return `${user}@${host}${port === 22 ? '' : `:${port}`}`;
	}

	/** Starts connecting in the background; returns at once. */
	start(): this {
		if (this.statusValue.state === 'connecting' && !this.attempt) void this.connectOnce();
		return this;
	}

	/** Resolves when up; rejects when failed, closed, aborted or after timeoutMs. */
	async waitUntilUp({signal, timeoutMs}: {readonly signal?: AbortSignal; readonly timeoutMs?: number} = {}): Promise<void> {
		if (this.state === 'up') return;
		return new Promise((resolve, reject) => {
			const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(new SshError('timeout', `SSH to ${this.label} not up within ${timeoutMs}ms${this.statusValue.failure ? `: ${this.statusValue.failure.message}` : ''}`)), timeoutMs);
			const onAbort = () => done(new SshError('cancelled', `waiting for SSH to ${this.label} was cancelled`));
			const onState = (status: ConnectionStatus) => {
				if (status.state === 'up') done();
				else if (status.state === 'failed') done(new SshError(status.failure?.kind ?? 'error', status.failure?.message ?? `SSH to ${this.label} failed`));
				else if (status.state === 'closed') done(new SshError('cancelled', `SSH to ${this.label} was closed`));
			};
			const done = (error?: SshError) => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				this.off('state-changed', onState);
				if (error) reject(error);
				else resolve();
			};
			if (signal?.aborted) return onAbort();
			signal?.addEventListener('abort', onAbort, {once: true});
			this.on('state-changed', onState);
			onState(this.statusValue);
		});
	}

	/** Closes the connection and cancels any attempt or scheduled retry; final. */
	close(): void {
		if (this.statusValue.state === 'closed') return;
		clearTimeout(this.retryTimer);
		this.attempt?.abort();
		this.attempt = undefined;
		const client = this.current;
		this.current = undefined;
		this.setStatus({state: 'closed', failure: undefined, retryAt: undefined});
		client?.end();
	}

	/**
	 * Reconnects now: drops a live connection as if the network had, or retries a `down` or `failed`
	 * one at once (after the operator fixed known_hosts, or from a "reconnect" key).
	 */
	reconnectNow(): void {
		if (this.statusValue.state === 'closed') return;
		clearTimeout(this.retryTimer);
		if (this.current) this.current.end();
		else if (!this.attempt) void this.connectOnce();
	}

	private setStatus(change: Partial<ConnectionStatus>): void {
		const next = {...this.statusValue, ...change};
		if (change.state !== undefined && change.state !== this.statusValue.state) next.since = Date.now();
		this.statusValue = Object.freeze(next);
		this.emit('state-changed', this.statusValue);
	}

	private async connectOnce(): Promise<void> {
		const controller = new AbortController();
		this.attempt = controller;
		let client: Client;
		try {
			client = await connectSsh({
				...this.options,
				signal: controller.signal,
				onHostKey: event => {
					this.options.onHostKey?.(event);
					this.emit('host-key-recorded', event);
				},
			});
		} catch (error) {
			if (this.attempt !== controller) return;
			this.attempt = undefined;
			if (this.statusValue.state === 'closed') return;
			this.scheduleRetry(classifySshError(error));
			return;
		}
		if (this.attempt !== controller || this.statusValue.state === 'closed') {
			client.end();
			return;
		}
		this.attempt = undefined;
		this.current = client;
		// Errors after ready (resets, keepalive timeouts) are followed by 'close'; the handler keeps
		// them from crashing the process and remembers why.
		let lastError: SshFailure | undefined;
		client.on('error', error => {
			lastError = classifySshError(error);
		});
		client.once('close', () => {
			if (this.current !== client) return;
			this.current = undefined;
			if (this.statusValue.state === 'closed') return;
			this.scheduleRetry(lastError ?? {kind: 'unreachable', message: `SSH connection to ${this.label} was lost`}, true);
		});
		this.setStatus({state: 'up', failure: undefined, attempts: 0, retryAt: undefined});
	}

	private scheduleRetry(failure: SshFailure, isDrop = false): void {
		const attempts = isDrop ? 0 : this.statusValue.attempts + 1;
		if (permanentKinds.has(failure.kind) || attempts >= this.backoff.maxAttempts) {
			this.setStatus({state: 'failed', failure, attempts, retryAt: undefined});
			return;
		}
		const delay = isDrop ? 0 : backoffDelay(attempts, this.backoff);
		this.setStatus({state: 'down', failure, attempts, retryAt: Date.now() + delay});
		this.retryTimer = setTimeout(() => {
			this.retryTimer = undefined;
			if (this.statusValue.state === 'down') void this.connectOnce();
		}, delay);
		// A pending retry must not keep a finished CLI alive.
		this.retryTimer.unref();
	}
}
