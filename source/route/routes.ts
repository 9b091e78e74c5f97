import {ClassifiedError, classifyError, type Failure} from '../etcd/errors.js';
import {MemberClient, type ConnectOptions, type MemberRoute} from '../etcd/member-client.js';
import {SnapshotClient} from '../etcd/snapshot-stream.js';
import {tunnelChannelOptions} from '../ssh/grpc-tunnel-options.js';
import type {TunnelPool} from '../ssh/tunnel-pool.js';
import {httpGetText, httpUrlOf, type HttpAnswer, type HttpGetOptions} from './http-get.js';
import {explainTunnelledError, tunnelDownFailure} from './tunnel-failure.js';

export type {HttpAnswer, HttpGetOptions} from './http-get.js';

// How a member is reached, in one place: every gRPC client and every HTTP GET of a member (/metrics,
// /health) is opened here, directly or through the `--via` SSH tunnel, with the member's real TLS name
// and the client certificate and CA of the etcd calls.

/** Every call MemberClient makes (status, memberList, member changes, moveLeader, …). */
export type MemberCalls = Omit<MemberClient, 'endpoint' | 'close'>;

/** A member's gRPC client, opened on its first call. Closing it lets go of its tunnel. */
export type RoutedClient = MemberCalls & {
	readonly endpoint: string;
	close(): void;
};

/** A member's snapshot stream client (a wide HTTP/2 window), its route already open. */
export type RoutedSnapshotClient = Pick<SnapshotClient, 'endpoint' | 'snapshot' | 'close'>;

export interface Routes {
	/** The SSH host every route goes through (`--via`), as its label; undefined: direct. */
	readonly via: string | undefined;
	/**
	 * The gRPC client of the member at `endpoint` (its client URL). The connection (and, through
	 * `--via`, the tunnel) opens on the first call; a route that failed (SSH down) is tried again by the
	 * next call, so a reconnect is picked up. While SSH is down every call fails at once with
	 * `tunnel-down`: a probe never waits out its deadline on a connection known to be gone. The caller
	 * closes it.
	 */
	client(endpoint: string): RoutedClient;
	/** The snapshot stream of one member, its route opened now (a route failure rejects here). */
	snapshotClient(endpoint: string): Promise<RoutedSnapshotClient>;
	/**
	 * GET `path` from a member: `endpointOrUrl` is its client URL or any other listener of it (a metrics
	 * URL such as http://127.0.0.1:2381, which through `--via` is the SSH host's view of that address).
	 * TLS verifies the URL's own host and presents the etcd client certificate. Resolves with any HTTP
	 * status; rejects with a ClassifiedError (`tunnel-down`, `refused`, `timeout`, `tls`, `dns`,
	 * `unreachable`, `error`) or the signal's reason.
	 */
	httpGet(endpointOrUrl: string, path: string, options: HttpGetOptions): Promise<HttpAnswer>;
	/** Any error of a call on a route, as a Failure (`tunnel-down` while SSH is down). */
	explain(endpoint: string, error: unknown): Failure;
	/** Closes every client still open and lets go of the HTTP tunnels; the SSH connection is the caller's. */
	close(): Promise<void>;
}

/** The part that differs between a direct and a tunnelled route. */
interface Way {
	readonly via: string | undefined;
	/** Throws `tunnel-down` while the SSH connection is not up. */
	check(): void;
	/** Where to dial for `key` (an endpoint or URL origin); undefined: the member's own address. Holds a tunnel until `release`. */
	open(key: string, isTls: boolean): Promise<MemberRoute | undefined>;
	release(key: string): void;
	explain(key: string, error: unknown): Failure;
}

const directWay: Way = {
	via: undefined,
	check: () => undefined,
	open: async () => undefined,
	release: () => undefined,
	explain: (_key, error) => classifyError(error),
};

function tunnelWay(pool: TunnelPool): Way {
	return {
		via: pool.connection.label,
		check() {
			const down = tunnelDownFailure(pool.connection);
			if (down) throw new ClassifiedError(down);
		},
		async open(key, isTls) {
			this.check();
			const {via} = await pool.open(key);
			return {dialEndpoint: via.endpoint, channelOptions: tunnelChannelOptions(via.serverName, isTls)};
		},
		release: key => void pool.release(key),
		explain: (key, error) => explainTunnelledError(pool, key, error),
	};
}

/**
 * The error a caller sees: the original one when the route adds nothing (its gRPC code and text stay for
 * callers that read them), else a ClassifiedError with the route's explanation (`tunnel-down`, or
 * `refused` when the SSH host could not reach the member).
 */
function rethrown(way: Way, key: string, error: unknown): unknown {
	if (error instanceof ClassifiedError) return error;
	const failure = way.explain(key, error);
	const plain = classifyError(error);
	return failure.kind === plain.kind && failure.message === plain.message ? error : new ClassifiedError(failure);
}

/** A client built on its route's first use; a failed route is asked for again next time. */
class LazyClient<C extends {close(): void}> {
	private client: Promise<C> | undefined;
	private isHoldingRoute = false;
	private isClosed = false;

	constructor(
		readonly endpoint: string,
		private readonly way: Way,
		private readonly isTls: boolean,
		private readonly build: (route: MemberRoute | undefined) => C,
		private readonly onClose: () => void,
	) {}

	async get(): Promise<C> {
		if (this.isClosed) throw new Error(`the client of ${this.endpoint} is closed`);
		this.way.check();
		if (!this.client) {
			const opening = (async () => {
				const route = await this.way.open(this.endpoint, this.isTls);
				if (this.isClosed) {
					if (route) this.way.release(this.endpoint);
					throw new Error(`the client of ${this.endpoint} is closed`);
				}
				if (route) this.isHoldingRoute = true;
				return this.build(route);
			})();
			this.client = opening;
			opening.catch(() => {
				if (this.client === opening) this.client = undefined;
			});
		}
		return this.client;
	}

	async call<T>(fn: (client: C) => Promise<T>): Promise<T> {
		try {
			return await fn(await this.get());
		} catch (error) {
			throw rethrown(this.way, this.endpoint, error);
		}
	}

	close(): void {
		if (this.isClosed) return;
		this.isClosed = true;
		void this.client?.then(client => client.close(), () => undefined);
		this.client = undefined;
		if (this.isHoldingRoute) this.way.release(this.endpoint);
		this.isHoldingRoute = false;
		this.onClose();
	}
}

/**
 * Every call of MemberClient, found on its prototype: a capability added there (defrag, hashKV, …) is
 * routed without a change here. A unit test checks that the list matches the class.
 */
export const memberCallNames: ReadonlyArray<keyof MemberCalls> = Object.getOwnPropertyNames(MemberClient.prototype).filter(
	name => name !== 'constructor' && name !== 'close',
) as Array<keyof MemberCalls>;

function isTlsEndpoint(connect: ConnectOptions, endpoint: string): boolean {
	return connect.tls !== undefined && endpoint.startsWith('https:');
}

/**
 * The routes of one command run: direct, or through `pool`'s SSH connection (`--via`) when given. Every
 * member client, snapshot stream and HTTP GET of etcdtop is opened through one of these.
 */
export function createRoutes(connect: ConnectOptions, pool?: TunnelPool): Routes {
	const way = pool ? tunnelWay(pool) : directWay;
	const open = new Set<{close(): void}>();
	const httpTunnels = new Map<string, Promise<MemberRoute | undefined>>();
	let isClosed = false;

	const track = <C extends {close(): void}>(endpoint: string, build: (route: MemberRoute | undefined) => C) => {
		const lazy: LazyClient<C> = new LazyClient(endpoint, way, isTlsEndpoint(connect, endpoint), build, () => open.delete(lazy));
		open.add(lazy);
		return lazy;
	};

	/** An HTTP origin's tunnel is opened once and kept for the life of the routes (metrics are read every poll). */
	const httpRoute = async (origin: string, isTls: boolean): Promise<MemberRoute | undefined> => {
		way.check();
		let route = httpTunnels.get(origin);
		if (!route) {
			const opening = way.open(origin, isTls);
			route = opening;
			httpTunnels.set(origin, opening);
			opening.catch(() => httpTunnels.get(origin) === opening && httpTunnels.delete(origin));
		}
		return route;
	};

	return {
		via: way.via,
		client(endpoint) {
			if (isClosed) throw new Error('the routes are closed');
			const lazy = track(endpoint, route => new MemberClient(endpoint, connect, route));
			const client: Record<string, unknown> = {endpoint, close: () => lazy.close()};
			for (const name of memberCallNames) {
				client[name] = async (...args: unknown[]) => lazy.call(async member => (member[name] as (...callArgs: unknown[]) => Promise<unknown>).apply(member, args));
			}
			return client as RoutedClient;
		},
		async snapshotClient(endpoint) {
			if (isClosed) throw new Error('the routes are closed');
			const lazy = track(endpoint, route => new SnapshotClient(endpoint, connect, route));
			try {
				const client = await lazy.get();
				return {
					endpoint,
					snapshot: (signal: AbortSignal) => client.snapshot(signal),
					close: () => lazy.close(),
				};
			} catch (error) {
				lazy.close();
				throw rethrown(way, endpoint, error);
			}
		},
		async httpGet(endpointOrUrl, path, options) {
			if (isClosed) throw new Error('the routes are closed');
			const url = httpUrlOf(endpointOrUrl, path);
			const isTls = url.protocol === 'https:';
			try {
				const route = await httpRoute(url.origin, isTls);
				const dial = route ? new URL(route.dialEndpoint) : undefined;
				return await httpGetText(url, dial ? {host: dial.hostname, port: Number(dial.port)} : undefined, connect.tls, options);
			} catch (error) {
				if (options.signal?.aborted && error === options.signal.reason) throw error;
				// Always classified, unlike gRPC errors: no caller reads a socket error's own text.
				throw new ClassifiedError(way.explain(url.origin, error));
			}
		},
		explain: (endpoint, error) => way.explain(endpoint, error),
		async close() {
			isClosed = true;
			for (const client of [...open]) client.close();
			const origins = [...httpTunnels.entries()];
			httpTunnels.clear();
			for (const [origin, route] of origins) void route.then(held => held && way.release(origin), () => undefined);
		},
	};
}
