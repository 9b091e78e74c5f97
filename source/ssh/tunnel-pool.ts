import type {SshConnection} from './connection.js';
import type {SshFailure} from './errors.js';
import {endpointTarget, SshTunnel, tunnelledEndpoint, type TunnelledEndpoint} from './tunnel.js';

export interface PooledTunnel {
	readonly tunnel: SshTunnel;
	readonly via: TunnelledEndpoint;
}

interface Entry {
	readonly opening: Promise<PooledTunnel>;
	/** Opens not yet released: the tunnel closes when the last user lets go. */
	users: number;
	/** The last forwarded socket that failed (the SSH host could not reach the member), and when. */
	lastSocketFailure: {readonly at: number; readonly failure: SshFailure} | undefined;
}

/**
 * Every etcd endpoint reached through one SSH connection (`--via`), each through its own tunnel, opened
 * on first use: a member that appears later in the member list gets its tunnel when it is first dialled.
 * Tunnels are counted: the poller letting go of a member that left the list must not pull the tunnel
 * from under a workflow's client that still dials it (a replacement can reuse the same URL).
 */
export class TunnelPool {
	private readonly entries = new Map<string, Entry>();
	private isClosed = false;

	constructor(readonly connection: SshConnection) {}

	/**
	 * The tunnel for an endpoint (`http(s)://host:port` as the SSH host resolves it), opened once and
	 * shared; each successful open is one user until `release`.
	 */
	async open(endpoint: string): Promise<PooledTunnel> {
		if (this.isClosed) throw new Error('the tunnel pool is closed');
		let entry = this.entries.get(endpoint);
		if (!entry) {
			const opening = SshTunnel.open(this.connection, endpointTarget(endpoint)).then(tunnel => {
				tunnel.on('socket-failed', failure => {
					const current = this.entries.get(endpoint);
					if (current) current.lastSocketFailure = {at: Date.now(), failure};
				});
				if (this.isClosed) void tunnel.close();
				return {tunnel, via: tunnelledEndpoint(endpoint, tunnel.localPort)};
			});
			const created: Entry = {opening, users: 0, lastSocketFailure: undefined};
			entry = created;
			this.entries.set(endpoint, created);
			// A failed listen is retried on the next use rather than remembered.
			opening.catch(() => this.entries.get(endpoint) === created && this.entries.delete(endpoint));
		}
		entry.users++;
		try {
			return await entry.opening;
		} catch (error) {
			entry.users--;
			throw error;
		}
	}

	/** Why the last connection through this endpoint's tunnel failed on the SSH host's side, if recent. */
	recentSocketFailure(endpoint: string, withinMs: number, now = Date.now()): SshFailure | undefined {
		const last = this.entries.get(endpoint)?.lastSocketFailure;
		return last && now - last.at <= withinMs ? last.failure : undefined;
	}

	/** How many users hold an endpoint's tunnel (0: none open). */
	usersOf(endpoint: string): number {
		return this.entries.get(endpoint)?.users ?? 0;
	}

	/** One user of an endpoint's tunnel is done with it; the last one closes it (a member left the list). */
	async release(endpoint: string): Promise<void> {
		const entry = this.entries.get(endpoint);
		if (!entry) return;
		entry.users = Math.max(0, entry.users - 1);
		if (entry.users > 0) return;
		this.entries.delete(endpoint);
		await entry.opening.then(async ({tunnel}) => tunnel.close(), () => undefined);
	}

	/** Closes every tunnel, whoever still holds it; the SSH connection is the caller's. */
	async close(): Promise<void> {
		this.isClosed = true;
		const entries = [...this.entries.values()];
		this.entries.clear();
		await Promise.all(entries.map(async entry => entry.opening.then(async ({tunnel}) => tunnel.close(), () => undefined)));
	}
}
