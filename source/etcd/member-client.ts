import {credentials as grpcCredentials, type ChannelCredentials} from '@grpc/grpc-js';
import {noop} from 'cockatiel';
import {Etcd3, type IOptions} from 'etcd3';
import {toDecimalId, toHexId} from './ids.js';
import {ClassifiedError, classifyError, permissionDeniedFailure} from './errors.js';
import {maintenanceCalls, type MaintenanceCalls, type RangePageRequest} from './maintenance.js';
import {decodeStatusResponse, encodeStatusRequest} from './status-response.js';
import type {Alarm, EndpointStatus, MemberInfo, MemberList} from './types.js';

export interface ConnectOptions {
	readonly tls?: {
		readonly ca?: Buffer;
		readonly cert?: Buffer;
		readonly key?: Buffer;
		readonly isInsecureSkipVerify: boolean;
	};
	readonly auth?: {
		readonly username: string;
		readonly password: string;
		/**
		 * `etcdctl user grant-role NAME root` for this user, quoted by the one quoting function where commands
		 * are printed (config/printed-client.ts): a refusal for want of the root role says it, ready to paste.
		 */
		readonly grantRootCommand: string;
	};
	readonly dialTimeoutMs: number;
	/** Deadline of the token exchange when auth is on. */
	readonly commandTimeoutMs: number;
}

/**
 * How one member is reached when it is not dialled at its own endpoint (an SSH tunnel): the address to
 * dial, and channel options to merge over ours (a TLS name override, a wider window). The endpoint
 * stays the member's identity everywhere else.
 */
export interface MemberRoute {
	readonly dialEndpoint: string;
	readonly channelOptions?: Readonly<Record<string, string | number>>;
}

export const memberChannelOptions: Readonly<Record<string, string | number>> = {
	// grpc-js backs off up to two minutes after a refused connect: a restarted member would stay
	// "down" long after it came back.
	'grpc.initial_reconnect_backoff_ms': 200,
	'grpc.min_reconnect_backoff_ms': 200,
	'grpc.max_reconnect_backoff_ms': 2000,
	'grpc.keepalive_time_ms': 30_000,
	'grpc.keepalive_timeout_ms': 5000,
};

function deadline(ms: number): {deadline: Date} {
	return {deadline: new Date(Date.now() + ms)};
}

/**
 * An etcd3 client for exactly one member, shared by MemberClient and SnapshotClient: no retries, no
 * circuit breakers, a deadline on the auth exchange, and `--insecure-skip-tls-verify` honoured.
 * `extraChannelOptions` (then the route's) are merged over the defaults.
 */
export function createMemberEtcd(endpoint: string, options: ConnectOptions, route?: MemberRoute, extraChannelOptions: Readonly<Record<string, string | number>> = {}): Etcd3 {
	const {tls, auth} = options;
	const dialEndpoint = route?.dialEndpoint ?? endpoint;
	const isTls = tls !== undefined && dialEndpoint.startsWith('https:');
	const etcdOptions: IOptions = {
		hosts: dialEndpoint,
		dialTimeout: options.dialTimeoutMs,
		grpcOptions: {...memberChannelOptions, ...extraChannelOptions, ...route?.channelOptions},
		faultHandling: {host: () => noop, global: noop},
		...(isTls ? {credentials: {rootCertificate: tls.ca as Buffer, privateKey: tls.key, certChain: tls.cert}} : {}),
		...(auth
			? {auth: {username: auth.username, password: auth.password, callOptions: () => deadline(options.commandTimeoutMs)}}
			: {}),
	};
	const client = new Etcd3(etcdOptions);
	if (isTls && tls.isInsecureSkipVerify) skipServerVerification(client, tls);
	return client;
}

/**
 * etcd3 builds its TLS credentials without verify options; --insecure-skip-tls-verify needs them,
 * so the channel credentials of its single host (and its authenticator) are replaced before first use.
 */
function skipServerVerification(client: Etcd3, tls: NonNullable<ConnectOptions['tls']>): void {
	const insecure: ChannelCredentials = grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, {
		rejectUnauthorized: false,
		checkServerIdentity: () => undefined,
	});
	const pool = (client as unknown as {pool: {hosts: Array<{channelCredentials: ChannelCredentials}>; authenticator?: {credentials: ChannelCredentials}}}).pool;
	for (const host of pool.hosts) host.channelCredentials = insecure;
	if (pool.authenticator) pool.authenticator.credentials = insecure;
}

/** Who a permission-denied refusal names, and the printed fix (undefined: the client certificate's user). */
export type RefusedUser = {readonly name: string; readonly grantRootCommand: string} | undefined;

export function refusedUserOf(options: ConnectOptions): RefusedUser {
	return options.auth && {name: options.auth.username, grantRootCommand: options.auth.grantRootCommand};
}

/** etcd's bare "permission denied" for `call` in words (etcd/errors.ts permissionDeniedFailure); any other error as it is. */
export function explainedRefusal(error: unknown, user: RefusedUser, call: string): unknown {
	if (!(error instanceof ClassifiedError) && classifyError(error).kind === 'permission-denied') return new ClassifiedError(permissionDeniedFailure(user, call));
	return error;
}

/**
 * One etcd3 client aimed at exactly one member. etcd3 would otherwise spread calls over its hosts,
 * retry them and open circuit breakers, hiding which member is sick: every policy here is a no-op and
 * every call carries a deadline.
 */
export class MemberClient {
	private readonly client: Etcd3;
	private readonly maintenance: MaintenanceCalls;
	private readonly user: string | undefined;
	private readonly refusedUser: RefusedUser;
	private readonly dialTimeoutMs: number;
	private hasConnected = false;

	constructor(
		readonly endpoint: string,
		options: ConnectOptions,
		/** Dial elsewhere (a tunnel's local port) while `endpoint` names the member. */
		route?: MemberRoute,
	) {
		this.client = createMemberEtcd(endpoint, options, route);
		this.maintenance = maintenanceCalls(this.client);
		this.user = options.auth?.username;
		this.refusedUser = refusedUserOf(options);
		this.dialTimeoutMs = options.dialTimeoutMs;
	}

	/**
	 * With auth on, the token is fetched once per client (etcd3 keeps it) before a call's deadline starts:
	 * the exchange (a TLS handshake, bcrypt, a raft round in etcd 3.5) has its own deadline, the command
	 * timeout, and must not spend the call's. etcd3 would fetch it inside the call, whose deadline was set
	 * before: a first call then failed with "Deadline exceeded after 0.000s" though the member was fine.
	 */
	private async authorized(): Promise<void> {
		if (this.user === undefined) return;
		const pool = (this.client as unknown as {pool: {authenticator: {getMetadata(): Promise<unknown>}; hosts: Array<{getServiceClient(name: string): {waitForReady(deadline: Date, callback: (error?: Error) => void): void}}>}}).pool;
		await pool.authenticator.getMetadata();
		if (this.hasConnected) return;
		// The first call's TLS handshake, too, is the dial's (--dial-timeout), not the call's: a member that
		// cannot be reached still fails in the call below, with its own words.
		const service = pool.hosts[0]?.getServiceClient('Maintenance');
		await new Promise<void>(resolve => {
			if (!service) return resolve();
			service.waitForReady(new Date(Date.now() + this.dialTimeoutMs), () => resolve());
		});
		this.hasConnected = true;
	}

	/**
	 * Every call: the token first (outside the call's deadline), then the call, whose deadline `run` sets
	 * when it starts. etcd says only "permission denied"; the error says who was refused, what is missing
	 * and how to fix it.
	 */
	private async explained<T>(call: string, run: () => Promise<T>): Promise<T> {
		try {
			await this.authorized();
			return await run();
		} catch (error) {
			throw explainedRefusal(error, this.refusedUser, call);
		}
	}

	/**
	 * Decoded by hand (status-response.ts): etcd3's bundled proto predates the fields etcd 3.6 added
	 * (storageVersion, dbSizeQuota, downgradeInfo), which protobufjs would drop.
	 */
	async status(timeoutMs: number): Promise<EndpointStatus> {
		const reply = decodeStatusResponse(await this.explained('Status', async () => this.unary(statusMethod, encodeStatusRequest, raw => raw, timeoutMs)));
		const errors = reply.errors;
		return {
			clusterId: reply.clusterId.toString(16),
			memberId: reply.memberId.toString(16),
			revision: Number(reply.revision),
			raftTerm: Number(reply.raftTerm),
			version: reply.version,
			dbSize: Number(reply.dbSize),
			dbSizeInUse: Number(reply.dbSizeInUse),
			leader: reply.leader.toString(16),
			raftIndex: Number(reply.raftIndex),
			raftAppliedIndex: Number(reply.raftAppliedIndex),
			errors,
			alarms: alarmsOf(errors),
			isLearner: reply.isLearner,
			...(reply.storageVersion === undefined ? {} : {storageVersion: reply.storageVersion}),
			...(reply.dbSizeQuota === undefined ? {} : {dbSizeQuota: reply.dbSizeQuota}),
			...(reply.downgradeInfo === undefined ? {} : {downgradeInfo: reply.downgradeInfo}),
		};
	}

	/**
	 * `isLinearizable`: the cluster's current list, not what a lagging or partitioned member last saw;
	 * decisions that remove, replace or defragment a member use it. etcd 3.4's MemberList is serializable
	 * only (it has no `linearizable` field), so a linearizable read goes through the same member first:
	 * etcd answers it only once the member has applied everything committed when it was asked (the read
	 * index), membership changes included, and the member's own list after it is at least that recent.
	 * That is exactly what etcd 3.5+ does for a linearizable MemberList (LinearizableReadNotify, then its
	 * own list), so the same two calls serve every version, with one read index round, not two. Both share
	 * the one deadline, which starts once the token and the first handshake are there, as a single call's
	 * does: started before, a slow handshake spent it, the list went out with 1 ms left, and its
	 * DEADLINE_EXCEEDED made etcd3 close the channel under the member's status call ("Channel closed before
	 * call started"). During an election the read fails with "leader changed" (no-leader).
	 */
	async memberList(timeoutMs: number, {isLinearizable = false}: {readonly isLinearizable?: boolean} = {}): Promise<MemberList> {
		await this.explained('MemberList', async () => undefined);
		const until = Date.now() + timeoutMs;
		if (isLinearizable) await this.linearizableRead(timeoutMs);
		const reply = await this.explained('MemberList', async () => this.client.cluster.memberList({}, deadline(Math.max(1, until - Date.now()))));
		return {
			clusterId: toHexId(reply.header.cluster_id),
			memberId: toHexId(reply.header.member_id),
			members: reply.members.map(toMemberInfo),
		};
	}

	/**
	 * Member changes go to one member and are never retried here (the policies are no-ops): a repeated
	 * add would create a second member. The caller re-reads the member list to learn what happened.
	 */
	async memberAdd(peerUrls: readonly string[], isLearner: boolean, timeoutMs: number): Promise<{readonly member: MemberInfo; readonly members: readonly MemberInfo[]}> {
		const reply = await this.explained('MemberAdd', async () => this.client.cluster.memberAdd({peerURLs: [...peerUrls], isLearner}, deadline(timeoutMs)));
		return {member: toMemberInfo(reply.member), members: reply.members.map(toMemberInfo)};
	}

	async memberRemove(hexId: string, timeoutMs: number): Promise<readonly MemberInfo[]> {
		const reply = await this.explained('MemberRemove', async () => this.client.cluster.memberRemove({ID: toDecimalId(hexId)}, deadline(timeoutMs)));
		return reply.members.map(toMemberInfo);
	}

	/** etcd answers "can only promote a learner member which is in sync with leader" until it caught up. */
	async memberPromote(hexId: string, timeoutMs: number): Promise<readonly MemberInfo[]> {
		const reply = await this.explained('MemberPromote', async () => this.client.cluster.memberPromote({ID: toDecimalId(hexId)}, deadline(timeoutMs)));
		return reply.members.map(toMemberInfo);
	}

	/** Must be sent to the current leader. */
	async moveLeader(hexId: string, timeoutMs: number): Promise<void> {
		await this.explained('MoveLeader', async () => this.client.maintenance.moveLeader({targetID: toDecimalId(hexId)}, deadline(timeoutMs)));
	}

	// Maintenance (etcd/maintenance.ts): methods here, so every route carries them; a user without the root
	// role gets the same explanation as for Status.

	defragment(timeoutMs: number): ReturnType<MaintenanceCalls['defragment']> {
		return this.explained('Defragment', async () => this.maintenance.defragment(timeoutMs));
	}

	compact(revision: number, timeoutMs: number): ReturnType<MaintenanceCalls['compact']> {
		return this.explained('Compact', async () => this.maintenance.compact(revision, timeoutMs));
	}

	alarmList(timeoutMs: number): ReturnType<MaintenanceCalls['alarmList']> {
		return this.explained('Alarm', async () => this.maintenance.alarmList(timeoutMs));
	}

	disarmNospace(memberId: string, timeoutMs: number): ReturnType<MaintenanceCalls['disarmNospace']> {
		return this.explained('Alarm', async () => this.maintenance.disarmNospace(memberId, timeoutMs));
	}

	hashKv(revision: number, timeoutMs: number): ReturnType<MaintenanceCalls['hashKv']> {
		return this.explained('HashKV', async () => this.maintenance.hashKv(revision, timeoutMs));
	}

	rangePage(request: RangePageRequest, timeoutMs: number): ReturnType<MaintenanceCalls['rangePage']> {
		return this.explained('Range', async () => this.maintenance.rangePage(request, timeoutMs));
	}

	linearizableRead(timeoutMs: number): ReturnType<MaintenanceCalls['linearizableRead']> {
		return this.explained('Range', async () => this.maintenance.linearizableRead(timeoutMs));
	}

	close(): void {
		this.client.close();
	}

	/**
	 * One unary call through etcd3's pool (its channel, TLS and auth token) with our own codec. A token
	 * that expired is fetched again once, as etcd3's own calls do.
	 */
	private async unary<T>(method: string, serialize: (request: object) => Buffer, deserialize: (message: Buffer) => T, timeoutMs: number): Promise<T> {
		const pool = (this.client as unknown as {pool: UnaryPool}).pool;
		const call = () =>
			pool.withConnection('Maintenance', ({client, metadata}) =>
				new Promise<T>((resolve, reject) => {
					client.makeUnaryRequest(method, serialize, deserialize, {}, metadata, deadline(timeoutMs), (error, value) => (error ? reject(error) : resolve(value as T)));
				}),
			);
		try {
			return await call();
		} catch (error) {
			if (!/invalid auth token/i.test(error instanceof Error ? error.message : String(error))) throw error;
			pool.authenticator.invalidateMetadata();
			return call();
		}
	}
}

const statusMethod = '/etcdserverpb.Maintenance/Status';

/** The slice of etcd3's private ConnectionPool a hand-decoded unary call needs. */
interface UnaryPool {
	readonly authenticator: {invalidateMetadata(): void};
	withConnection<T>(
		service: 'Maintenance',
		fn: (connection: {
			client: {
				makeUnaryRequest(
					method: string,
					serialize: (request: object) => Buffer,
					deserialize: (message: Buffer) => unknown,
					request: object,
					metadata: unknown,
					options: object,
					callback: (error: Error | null, value?: unknown) => void,
				): unknown;
			};
			metadata: unknown;
		}) => Promise<T>,
	): Promise<T>;
}

/**
 * etcd's Status lists every active alarm of the cluster in `errors`, as "memberID:<decimal> alarm:NOSPACE".
 * Reading them there costs nothing, where `alarm list` is a raft request: a proposal every time it is
 * asked, which a watching console must not make.
 */
export function alarmsOf(errors: readonly string[]): Alarm[] {
	return errors.flatMap(error => {
		const match = /^memberID:(\d+) alarm:(NOSPACE|CORRUPT)\b/.exec(error.trim());
		return match ? [{memberId: toHexId(match[1]!), alarm: match[2] as Alarm['alarm']}] : [];
	});
}

function toMemberInfo(member: {ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner?: boolean}): MemberInfo {
	return {
		id: toHexId(member.ID),
		name: member.name,
		peerUrls: member.peerURLs,
		clientUrls: member.clientURLs,
		isLearner: member.isLearner ?? false,
	};
}
