import {EventEmitter} from 'node:events';
import {createServer, type Server, type Socket} from 'node:net';
import type {Duplex} from 'node:stream';
import {forwardOut} from './connect.js';
import type {ConnectionStatus, SshConnection} from './connection.js';
import {classifySshError, type SshFailure} from './errors.js';

/** `up`: connections are carried. `down`: the SSH connection is lost, accepted sockets are reset. */
export type TunnelState = 'up' | 'down' | 'closed';

export interface TunnelStatus {
	readonly state: TunnelState;
	readonly since: number;
	/** Why it is down: the SSH connection's failure. */
	readonly failure: SshFailure | undefined;
}

export interface TunnelEvents {
	'state-changed': [status: TunnelStatus];
	/** One forwarded connection failed (target refused, channel error); the tunnel itself stays. */
	'socket-failed': [failure: SshFailure];
}

export interface TunnelTarget {
	/** As the SSH host resolves it: the member's real host name. */
	readonly host: string;
	readonly port: number;
}

function tunnelState(status: ConnectionStatus): TunnelState {
	return status.state === 'up' ? 'up' : status.state === 'closed' ? 'closed' : 'down';
}

/**
 * A local listener on 127.0.0.1 whose every accepted socket is piped through a direct-tcpip channel
 * of the SSH connection to one target. Bytes pass through untouched, so TLS stays end to end between
 * the etcd client and the member.
 */
export class SshTunnel extends EventEmitter<TunnelEvents> {
	private readonly sockets = new Set<Socket>();
	private forwarded = 0;
	private statusValue: TunnelStatus;
	private readonly onConnectionState = (status: ConnectionStatus) => this.follow(status);

	private constructor(
		private readonly connection: SshConnection,
		readonly target: TunnelTarget,
		private readonly server: Server,
		readonly localPort: number,
	) {
		super();
		this.statusValue = Object.freeze({state: tunnelState(connection.status), since: Date.now(), failure: connection.status.failure});
		connection.on('state-changed', this.onConnectionState);
	}

	/** Listens on 127.0.0.1 (port 0 = any free port). The SSH connection need not be up yet. */
	static async open(connection: SshConnection, target: TunnelTarget, {localPort = 0}: {readonly localPort?: number} = {}): Promise<SshTunnel> {
		const server = createServer({pauseOnConnect: true});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(localPort, '127.0.0.1', () => {
				server.off('error', reject);
				resolve();
			});
		});
		const address = server.address();
		if (!address || typeof address !== 'object') {
			server.close();
			throw new Error('the tunnel listener has no port');
		}
		const tunnel = new SshTunnel(connection, target, server, address.port);
		server.on('connection', socket => tunnel.accept(socket));
		// A listener error after listen (EMFILE) must not crash the console.
		server.on('error', error => tunnel.emit('socket-failed', classifySshError(error)));
		return tunnel;
	}

	get status(): TunnelStatus {
		return this.statusValue;
	}

	get state(): TunnelState {
		return this.statusValue.state;
	}

	/** Local connections being carried right now. */
	get activeSockets(): number {
		return this.sockets.size;
	}

	/** Channels opened since the tunnel was, i.e. connections that reached the target's side. */
	get forwardedCount(): number {
		return this.forwarded;
	}

	/** `127.0.0.1:port`, what the etcd client dials instead of the member. */
	get localAddress(): string {
		return `127.0.0.1:${this.localPort}`;
	}

	async close(): Promise<void> {
		this.connection.off('state-changed', this.onConnectionState);
		for (const socket of this.sockets) socket.destroy();
		this.setStatus({state: 'closed'});
		await new Promise<void>(resolve => this.server.close(() => resolve()));
	}

	private follow(status: ConnectionStatus): void {
		const state = tunnelState(status);
		// Channels die with their connection; resetting the local ends tells gRPC at once.
		if (state !== 'up') for (const socket of this.sockets) socket.destroy();
		if (state !== this.statusValue.state || status.failure !== this.statusValue.failure) this.setStatus({state, failure: status.failure});
	}

	private setStatus(change: Partial<TunnelStatus>): void {
		const next = {...this.statusValue, ...change};
		if (change.state !== undefined && change.state !== this.statusValue.state) next.since = Date.now();
		this.statusValue = Object.freeze(next);
		this.emit('state-changed', this.statusValue);
	}

	private accept(socket: Socket): void {
		socket.on('error', () => socket.destroy());
		const client = this.connection.client;
		if (!client || this.statusValue.state !== 'up') {
			socket.destroy();
			return;
		}
		this.sockets.add(socket);
		socket.setNoDelay(true);
		socket.once('close', () => this.sockets.delete(socket));
		forwardOut(client, this.target.host, this.target.port, {address: socket.remoteAddress, port: socket.remotePort}).then(
			channel => this.pipe(socket, channel),
			(error: unknown) => {
				socket.destroy();
				this.emit('socket-failed', classifySshError(error));
			},
		);
	}

	private pipe(socket: Socket, channel: Duplex): void {
		if (socket.destroyed) {
			channel.destroy();
			return;
		}
		this.forwarded++;
		channel.on('error', (error: Error) => {
			this.emit('socket-failed', classifySshError(error));
			socket.destroy();
		});
		channel.once('close', () => socket.destroy());
		socket.once('close', () => channel.destroy());
		socket.pipe(channel).pipe(socket);
	}
}

/**
 * How an etcd endpoint is reached through its tunnel: dial the local port, but keep the member's own
 * name for TLS (`grpc.ssl_target_name_override`), since its certificate names the member, not 127.0.0.1.
 */
export interface TunnelledEndpoint {
	readonly endpoint: string;
	readonly serverName: string;
	readonly target: TunnelTarget;
}

export function endpointTarget(endpoint: string): TunnelTarget {
	const url = new URL(endpoint);
	const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
	const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
	return {host, port};
}

export function tunnelledEndpoint(endpoint: string, localPort: number): TunnelledEndpoint {
	const url = new URL(endpoint);
	const target = endpointTarget(endpoint);
	return {endpoint: `${url.protocol}//127.0.0.1:${localPort}`, serverName: target.host, target};
}

/** One tunnel per distinct member endpoint over one SSH connection (`--via`). */
export async function openTunnels(connection: SshConnection, endpoints: readonly string[]): Promise<ReadonlyMap<string, {readonly tunnel: SshTunnel; readonly via: TunnelledEndpoint}>> {
	const tunnels = new Map<string, {tunnel: SshTunnel; via: TunnelledEndpoint}>();
	try {
		for (const endpoint of new Set(endpoints)) {
			const tunnel = await SshTunnel.open(connection, endpointTarget(endpoint));
			tunnels.set(endpoint, {tunnel, via: tunnelledEndpoint(endpoint, tunnel.localPort)});
		}
	} catch (error) {
		await Promise.all([...tunnels.values()].map(async ({tunnel}) => tunnel.close()));
		throw error;
	}
	return tunnels;
}
