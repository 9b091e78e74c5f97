import {credentials as grpcCredentials, type ChannelCredentials} from '@grpc/grpc-js';
import {noop} from 'cockatiel';
import {Etcd3, type IOptions} from 'etcd3';
import {toDecimalId, toHexId, toNumber} from './ids.js';
import {maintenanceCalls, type MaintenanceCalls, type RangePageRequest} from './maintenance.js';
import type {Alarm, EndpointStatus, MemberInfo, MemberList} from './types.js';

export interface ConnectOptions {
	readonly tls?: {
		readonly ca?: Buffer;
		readonly cert?: Buffer;
		readonly key?: Buffer;
		readonly isInsecureSkipVerify: boolean;
	};
	readonly auth?: {readonly username: string; readonly password: string};
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

/**
 * One etcd3 client aimed at exactly one member. etcd3 would otherwise spread calls over its hosts,
 * retry them and open circuit breakers, hiding which member is sick: every policy here is a no-op and
 * every call carries a deadline.
 */
export class MemberClient {
	private readonly client: Etcd3;
	private readonly maintenance: MaintenanceCalls;

	constructor(
		readonly endpoint: string,
		options: ConnectOptions,
		/** Dial elsewhere (a tunnel's local port) while `endpoint` names the member. */
		route?: MemberRoute,
	) {
		this.client = createMemberEtcd(endpoint, options, route);
		this.maintenance = maintenanceCalls(this.client);
	}

	async status(timeoutMs: number): Promise<EndpointStatus> {
		const reply = await this.client.maintenance.status(deadline(timeoutMs));
		return {
			clusterId: toHexId(reply.header.cluster_id),
			memberId: toHexId(reply.header.member_id),
			revision: toNumber(reply.header.revision),
			raftTerm: toNumber(reply.raftTerm),
			version: reply.version,
			dbSize: toNumber(reply.dbSize),
			dbSizeInUse: toNumber(reply.dbSizeInUse),
			leader: toHexId(reply.leader),
			raftIndex: toNumber(reply.raftIndex),
			raftAppliedIndex: toNumber(reply.raftAppliedIndex),
			errors: reply.errors ?? [],
			alarms: alarmsOf(reply.errors ?? []),
			isLearner: reply.isLearner ?? false,
		};
	}

	async memberList(timeoutMs: number): Promise<MemberList> {
		const reply = await this.client.cluster.memberList({}, deadline(timeoutMs));
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
		const reply = await this.client.cluster.memberAdd({peerURLs: [...peerUrls], isLearner}, deadline(timeoutMs));
		return {member: toMemberInfo(reply.member), members: reply.members.map(toMemberInfo)};
	}

	async memberRemove(hexId: string, timeoutMs: number): Promise<readonly MemberInfo[]> {
		const reply = await this.client.cluster.memberRemove({ID: toDecimalId(hexId)}, deadline(timeoutMs));
		return reply.members.map(toMemberInfo);
	}

	/** etcd answers "can only promote a learner member which is in sync with leader" until it caught up. */
	async memberPromote(hexId: string, timeoutMs: number): Promise<readonly MemberInfo[]> {
		const reply = await this.client.cluster.memberPromote({ID: toDecimalId(hexId)}, deadline(timeoutMs));
		return reply.members.map(toMemberInfo);
	}

	/** Must be sent to the current leader. */
	async moveLeader(hexId: string, timeoutMs: number): Promise<void> {
		await this.client.maintenance.moveLeader({targetID: toDecimalId(hexId)}, deadline(timeoutMs));
	}

	// Maintenance (etcd/maintenance.ts): methods here, so every route carries them.

	defragment(timeoutMs: number): ReturnType<MaintenanceCalls['defragment']> {
		return this.maintenance.defragment(timeoutMs);
	}

	compact(revision: number, timeoutMs: number): ReturnType<MaintenanceCalls['compact']> {
		return this.maintenance.compact(revision, timeoutMs);
	}

	alarmList(timeoutMs: number): ReturnType<MaintenanceCalls['alarmList']> {
		return this.maintenance.alarmList(timeoutMs);
	}

	disarmNospace(memberId: string, timeoutMs: number): ReturnType<MaintenanceCalls['disarmNospace']> {
		return this.maintenance.disarmNospace(memberId, timeoutMs);
	}

	hashKv(revision: number, timeoutMs: number): ReturnType<MaintenanceCalls['hashKv']> {
		return this.maintenance.hashKv(revision, timeoutMs);
	}

	rangePage(request: RangePageRequest, timeoutMs: number): ReturnType<MaintenanceCalls['rangePage']> {
		return this.maintenance.rangePage(request, timeoutMs);
	}

	linearizableRead(timeoutMs: number): ReturnType<MaintenanceCalls['linearizableRead']> {
		return this.maintenance.linearizableRead(timeoutMs);
	}

	close(): void {
		this.client.close();
	}
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
