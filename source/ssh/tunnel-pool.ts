import type {SshConnection} from './connection.js';
import type {SshFailure} from './errors.js';
import {endpointTarget, SshTunnel, tunnelledEndpoint, type TunnelledEndpoint} from './tunnel.js';

export interface PooledTunnel {
	readonly tunnel: SshTunnel;
	readonly via: TunnelledEndpoint;
}

interface Entry {
	readonly opening: Promise<PooledTunnel>;
	/** The last forwarded socket that failed (the SSH host could not reach the member), and when. */
	lastSocketFailure: {readonly at: number; readonly failure: SshFailure} | undefined;
}

/**
 * Every etcd endpoint reached through one SSH connection (`--via`), each through its own tunnel, opened
 * on first use: a member that appears later in the member list gets its tunnel when it is first dialled.
 */
export class TunnelPool {
	private readonly entries = new Map<string, Entry>();
	private isClosed = false;

	constructor(readonly connection: SshConnection) {}

	/** The tunnel for an endpoint (`http(s)://host:port` as the SSH host resolves it), opened once. */
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
			entry = {opening, lastSocketFailure: undefined};
			this.entries.set(endpoint, entry);
			// A failed listen is retried on the next use rather than remembered.
			opening.catch(() => this.entries.get(endpoint) === entry && this.entries.delete(endpoint));
		}
		return entry.opening;
	}

	/** Why the last connection through this endpoint's tunnel failed on the SSH host's side, if recent. */
	recentSocketFailure(endpoint: string, withinMs: number, now = Date.now()): SshFailure | undefined {
		const last = this.entries.get(endpoint)?.lastSocketFailure;
		return last && now - last.at <= withinMs ? last.failure : undefined;
	}

	/** Closes one endpoint's tunnel (a member left the list). */
	async release(endpoint: string): Promise<void> {
		const entry = this.entries.get(endpoint);
		if (!entry) return;
		this.entries.delete(endpoint);
		await entry.opening.then(async ({tunnel}) => tunnel.close(), () => undefined);
	}

	/** Closes every tunnel; the SSH connection is the caller's. */
	async close(): Promise<void> {
		this.isClosed = true;
		const endpoints = [...this.entries.keys()];
		await Promise.all(endpoints.map(async endpoint => this.release(endpoint)));
	}
}
