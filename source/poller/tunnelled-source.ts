import {ClassifiedError, classifyError, type Failure} from '../etcd/errors.js';
import {MemberClient, type ConnectOptions, type MemberRoute} from '../etcd/member-client.js';
import type {EndpointStatus, MemberList} from '../etcd/types.js';
import type {SshConnection} from '../ssh/connection.js';
import {tunnelChannelOptions} from '../ssh/grpc-tunnel-options.js';
import type {TunnelPool} from '../ssh/tunnel-pool.js';
import type {StatusSource} from './poller.js';

/** What a row says while the SSH connection that carries it is not up. */
export function tunnelDownFailure(connection: SshConnection): Failure | undefined {
	const {state, failure, retryAt} = connection.status;
	if (state === 'up') return undefined;
	// The connection's own messages start "SSH to <label>: …"; once is enough.
	const why = failure ? `: ${failure.message.replace(`SSH to ${connection.label}: `, '')}` : '';
	switch (state) {
		case 'connecting':
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} is not connected yet`};
		case 'down': {
			const inSeconds = retryAt === undefined ? undefined : Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} is down${why}; reconnecting${inSeconds ? ` in ${inSeconds}s` : ''}`};
		}
		case 'failed':
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} failed and will not be retried${why}`};
		case 'closed':
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} is closed`};
	}
}

/**
 * The route to one member through the pool's SSH connection: dial the tunnel's local port, verify TLS
 * against the member's own host name, and use the wide flow-control window. Rejects with a
 * `tunnel-down` ClassifiedError while the connection is not up.
 */
export async function tunnelRoute(pool: TunnelPool, endpoint: string, isTls: boolean): Promise<MemberRoute> {
	const down = tunnelDownFailure(pool.connection);
	if (down) throw new ClassifiedError(down);
	const {via} = await pool.open(endpoint);
	return {dialEndpoint: via.endpoint, channelOptions: tunnelChannelOptions(via.serverName, isTls)};
}

/**
 * An etcd error seen through a tunnel, in the operator's terms: while SSH is down every failure is
 * `tunnel-down` (the member was not seen, it is not dead); when the SSH host itself could not reach the
 * member a moment ago, the member refused, whatever gRPC made of the reset socket.
 */
export function explainTunnelledError(pool: TunnelPool, endpoint: string, error: unknown): Failure {
	const down = tunnelDownFailure(pool.connection);
	if (down) return down;
	const failure = classifyError(error);
	if (failure.kind !== 'unreachable' && failure.kind !== 'timeout' && failure.kind !== 'error') return failure;
	const socket = pool.recentSocketFailure(endpoint, 10_000);
	if (socket?.kind === 'forward-refused') return {kind: 'refused', message: `${socket.message} (via ${pool.connection.label})`};
	return failure;
}

/**
 * A StatusSource for one member reached through `--via`: its client is built on first use (so a member
 * discovered later gets its tunnel then) and calls fail at once with `tunnel-down` while SSH is down,
 * so a probe never waits out its deadline on a connection known to be gone.
 */
export class TunnelledSource implements StatusSource {
	private client: Promise<MemberClient> | undefined;
	private isClosed = false;

	constructor(
		readonly endpoint: string,
		private readonly connect: ConnectOptions,
		private readonly pool: TunnelPool,
	) {}

	async status(timeoutMs: number): Promise<EndpointStatus> {
		return this.call(async client => client.status(timeoutMs));
	}

	async memberList(timeoutMs: number): Promise<MemberList> {
		return this.call(async client => client.memberList(timeoutMs));
	}

	close(): void {
		this.isClosed = true;
		void this.client?.then(client => client.close(), () => undefined);
		this.client = undefined;
		void this.pool.release(this.endpoint);
	}

	private async call<T>(fn: (client: MemberClient) => Promise<T>): Promise<T> {
		try {
			return await fn(await this.clientNow());
		} catch (error) {
			throw new ClassifiedError(explainTunnelledError(this.pool, this.endpoint, error));
		}
	}

	private async clientNow(): Promise<MemberClient> {
		if (this.isClosed) throw new Error(`the client of ${this.endpoint} is closed`);
		const down = tunnelDownFailure(this.pool.connection);
		if (down) throw new ClassifiedError(down);
		if (!this.client) {
			const isTls = this.connect.tls !== undefined && this.endpoint.startsWith('https:');
			const opening = tunnelRoute(this.pool, this.endpoint, isTls).then(route => new MemberClient(this.endpoint, this.connect, route));
			this.client = opening;
			opening.catch(() => {
				if (this.client === opening) this.client = undefined;
			});
		}
		return this.client;
	}
}
