import type {Etcd3} from 'etcd3';
import {createMemberEtcd, explainedRefusal, refusedUserOf, type ConnectOptions, type MemberRoute, type RefusedUser} from './member-client.js';
import {raceAbort} from './abort.js';
import {decodeSnapshotResponse, encodeSnapshotRequest, type SnapshotMessage} from './snapshot-response.js';

// MemberClient's channel plus a wide HTTP/2 window: with grpc-node's 64 KiB default the server stalls
// every 64 KiB for a round trip, which through an SSH tunnel makes a snapshot ~100x slower.
const snapshotChannelOptions = {
	'grpc-node.flow_control_window': 8 * 1024 * 1024,
};

interface GrpcReadable extends AsyncIterable<SnapshotMessage> {
	cancel(): void;
	on(event: 'error', listener: (error: Error) => void): this;
}

/** grpc-js's generic server-streaming call, which every generated client also has. */
type ServerStreamRequest = (
	method: string,
	serialize: (request: object) => Buffer,
	deserialize: (message: Buffer) => SnapshotMessage,
	request: object,
	metadata: unknown,
	options: object,
) => GrpcReadable;

/** The slice of etcd3's private ConnectionPool used to open the stream with the auth token attached. */
interface SnapshotPool {
	withConnection<T>(service: 'Maintenance', fn: (connection: {client: {makeServerStreamRequest: ServerStreamRequest}; metadata: unknown}) => Promise<T>): Promise<T>;
}

const snapshotMethod = '/etcdserverpb.Maintenance/Snapshot';

/**
 * A client for one member's snapshot stream. It is separate from MemberClient because the window size is a
 * channel option fixed when the channel is built, and only this long bulk transfer needs it. The stream has
 * no deadline (its length is unknown); the caller's signal ends it, and save.ts aborts when data stops coming.
 */
export class SnapshotClient {
	private readonly client: Etcd3;
	private readonly refusedUser: RefusedUser;

	constructor(
		readonly endpoint: string,
		options: ConnectOptions,
		/** Dial elsewhere (a tunnel's local port) while `endpoint` names the member. */
		route?: MemberRoute,
	) {
		this.client = createMemberEtcd(endpoint, options, route, snapshotChannelOptions);
		this.refusedUser = refusedUserOf(options);
	}

	/** The raw stream, message by message, with backpressure: etcd sends no faster than the caller consumes. */
	async *snapshot(signal: AbortSignal): AsyncGenerator<SnapshotMessage> {
		signal.throwIfAborted();
		const opening = this.openStream();
		// A stream that opens after an abort would otherwise run on unread until the client closes.
		opening.then(late => signal.aborted && late.cancel(), () => undefined);
		const stream = await raceAbort(opening, signal).catch((error: unknown) => {
			throw explainedRefusal(error, this.refusedUser, 'Snapshot');
		});
		const cancel = () => stream.cancel();
		signal.addEventListener('abort', cancel, {once: true});
		try {
			yield* stream;
			signal.throwIfAborted();
		} catch (error) {
			// A cancelled call surfaces as gRPC CANCELLED; the caller wants its own reason instead.
			signal.throwIfAborted();
			throw explainedRefusal(error, this.refusedUser, 'Snapshot');
		} finally {
			signal.removeEventListener('abort', cancel);
			stream.cancel();
		}
	}

	/**
	 * etcd3 1.1.2's maintenance.snapshot() calls the grpc method as (metadata, options, {}): the metadata lands
	 * in the request slot, so the auth token is never sent and an auth-enabled cluster answers "user name is
	 * empty". The same connection pool is used here, through grpc-js's generic call with the arguments in
	 * its order and our own decoder (snapshot-response.ts).
	 */
	private async openStream(): Promise<GrpcReadable> {
		const pool = (this.client as unknown as {pool: SnapshotPool}).pool;
		return pool.withConnection('Maintenance', async ({client, metadata}) => {
			const stream = client.makeServerStreamRequest(snapshotMethod, encodeSnapshotRequest, decodeSnapshotResponse, {}, metadata, {});
			// An error before iteration starts would otherwise be an unhandled 'error' event; iteration still sees it.
			stream.on('error', () => undefined);
			return stream;
		});
	}

	close(): void {
		this.client.close();
	}
}
