import {classifyError, CredentialsRefusedError, isCredentialsKind, type Failure, type FailureKind} from '../etcd/errors.js';
import type {EndpointStatus, MemberInfo, MemberList} from '../etcd/types.js';
import {clientPool} from './client-pool.js';
import type {MemberCalls, Routes} from './routes.js';

// The one observation: "the member list, then every member's status", read through the routes. The
// shapes are model/observation.ts's Observation (derivations live there: leader, lookup, started).

/** The two calls an observation makes of a member. */
export type ObservingClient = Pick<MemberCalls, 'memberList' | 'status'>;

/** What one endpoint answered to a status request. */
export interface EndpointProbe {
	readonly endpoint: string;
	readonly status: EndpointStatus | undefined;
	/** Why it did not answer, in an operator's words ("refused: connect ECONNREFUSED …"). */
	readonly failure: string | undefined;
	/** The same failure as etcd/errors.ts classified it: decisions are taken on its kind, never on the words. */
	readonly classified?: Failure;
}

export interface ObserveOptions {
	/** The configured endpoints: asked for the list first, and always probed (an advertised URL may not be reachable from here). */
	readonly seeds: readonly string[];
	/** Members of an earlier look: their client URLs are asked for the list too (a seed may be gone). */
	readonly known?: readonly MemberInfo[];
	/** Probe every member's client URLs as well as the seeds (default true; false: --no-discover). */
	readonly isDiscovering?: boolean;
	/**
	 * Ask for the list through raft (etcd 3.5+; 3.4 ignores it): a decision to remove or add a member is
	 * taken on the cluster's list, never on what a partitioned member last saw (it fails; another answers).
	 */
	readonly isLinearizable?: boolean;
	readonly listTimeoutMs: number;
	readonly statusTimeoutMs: number;
	readonly now?: () => number;
}

/** The observation (model/observation.ts), plus each endpoint's answer. */
export interface ClusterReading {
	readonly at: number;
	readonly members: readonly MemberInfo[];
	readonly statuses: Readonly<Record<string, EndpointStatus>>;
	readonly endpoints: Readonly<Record<string, string>>;
	readonly failures: Readonly<Record<string, string>>;
	readonly clusterId: string;
	readonly probes: readonly EndpointProbe[];
	/**
	 * The endpoint whose member list this is, and whether it was read through raft (asked for on etcd 3.5+);
	 * a serializable list is what that member last knew, which may be stale.
	 */
	readonly listFrom?: {readonly endpoint: string; readonly isLinearizable: boolean};
}

export type ObserveResult =
	| {readonly kind: 'observed'; readonly reading: ClusterReading}
	/**
	 * No endpoint gave the member list; `message` says what each answered, `probes` what the seeds did;
	 * `failureKind`: 'no-leader' when a member answered that it has no leader or that it changed (an election
	 * is under way: a decision waits it out); 'auth' or 'permission-denied' when every endpoint refused the
	 * credentials (the operator's to fix, exit 3: credentialsRefusal); else the first endpoint's kind.
	 */
	| {readonly kind: 'no-member-list'; readonly at: number; readonly message: string; readonly failureKind: FailureKind; readonly probes: readonly EndpointProbe[]};


/**
 * The member list from whichever endpoint answers first, all asked at once: one hung or dead endpoint
 * costs nothing beyond its own deadline. Rejects with an AggregateError of every endpoint's error, in order.
 */
export async function readMemberList(clientFor: (endpoint: string) => Pick<MemberCalls, 'memberList'>, endpoints: readonly string[], timeoutMs: number, isLinearizable = false): Promise<{readonly endpoint: string; readonly list: MemberList}> {
	if (endpoints.length === 0) throw new AggregateError([new Error('no endpoint to ask')], 'no endpoint to ask');
	return Promise.any(endpoints.map(async endpoint => ({endpoint, list: await clientFor(endpoint).memberList(timeoutMs, isLinearizable ? {isLinearizable} : {})})));
}

/** One status call per endpoint, all at once; never rejects. */
export async function probeEndpoints(clientFor: (endpoint: string) => Pick<MemberCalls, 'status'>, endpoints: readonly string[], timeoutMs: number): Promise<EndpointProbe[]> {
	return Promise.all(
		endpoints.map(async (endpoint): Promise<EndpointProbe> => {
			try {
				return {endpoint, status: await clientFor(endpoint).status(timeoutMs), failure: undefined};
			} catch (error) {
				const classified = classifyError(error);
				return {endpoint, status: undefined, failure: `${classified.kind}: ${classified.message}`, classified};
			}
		}),
	);
}

/** Why no endpoint gave the list, as one kind: an election, the credentials (every endpoint refused them), or the first endpoint's. */
function listFailureKind(failures: readonly Failure[]): FailureKind {
	if (failures.some(failure => failure.kind === 'no-leader')) return 'no-leader';
	if (failures.length > 0 && failures.every(failure => isCredentialsKind(failure.kind))) return failures.some(failure => failure.kind === 'auth') ? 'auth' : 'permission-denied';
	return failures[0]?.kind ?? 'error';
}

/**
 * The one observation: the member list (from the seeds or the known members, first answer wins), then a
 * status call to every seed and, when discovering, every member's client URLs, all at once. A status
 * belongs to the member whose ID it carries, wherever it was asked; a member nobody answered for gets the
 * reason from its own URLs ("not started" when it has none).
 */
export async function observeCluster(clientFor: (endpoint: string) => ObservingClient, options: ObserveOptions): Promise<ObserveResult> {
	const now = options.now ?? Date.now;
	const isDiscovering = options.isDiscovering ?? true;
	const everyone = [...new Set([...options.seeds, ...(options.known ?? []).flatMap(member => member.clientUrls)])];
	// A learner refuses MemberList (etcd serves learners only Status and serializable reads): ask the others.
	const learnerUrls = new Set((options.known ?? []).filter(member => member.isLearner).flatMap(member => member.clientUrls));
	const voterUrls = everyone.filter(url => !learnerUrls.has(url));
	const askable = voterUrls.length > 0 ? voterUrls : everyone;
	let list: MemberList;
	let listEndpoint: string;
	try {
		({list, endpoint: listEndpoint} = await readMemberList(clientFor, askable, options.listTimeoutMs, options.isLinearizable));
	} catch (error) {
		const errors = error instanceof AggregateError ? error.errors : [error];
		const failures = askable.map((_, index) => classifyError(errors[index]));
		const message = askable.length === 0 ? 'no endpoint to ask' : askable.map((endpoint, index) => `${endpoint}: ${failures[index]!.message}`).join('; ');
		return {kind: 'no-member-list', at: now(), message, failureKind: listFailureKind(failures), probes: await probeEndpoints(clientFor, options.seeds, options.statusTimeoutMs)};
	}
	const discovered = isDiscovering ? list.members.flatMap(member => member.clientUrls) : [];
	const probes = await probeEndpoints(clientFor, [...new Set([...options.seeds, ...discovered])], options.statusTimeoutMs);
	const statuses: Record<string, EndpointStatus> = {};
	const endpoints: Record<string, string> = {};
	for (const probe of probes) {
		if (!probe.status || statuses[probe.status.memberId]) continue;
		statuses[probe.status.memberId] = probe.status;
		endpoints[probe.status.memberId] = probe.endpoint;
	}
	const failures: Record<string, string> = {};
	for (const member of list.members) {
		if (statuses[member.id]) continue;
		if (member.clientUrls.length === 0) {
			failures[member.id] = 'not started';
			continue;
		}
		const own = probes.filter(probe => member.clientUrls.includes(probe.endpoint));
		const last = own.at(-1);
		failures[member.id] = !last ? 'not among the watched endpoints' : last.status ? `${last.endpoint} answers as member ${last.status.memberId}` : (last.failure ?? 'no answer');
	}
	const listFrom = {endpoint: listEndpoint, isLinearizable: options.isLinearizable === true};
	return {kind: 'observed', reading: {at: now(), members: list.members, statuses, endpoints, failures, clusterId: list.clusterId, probes, listFrom}};
}

/**
 * The refusal of the credentials an observation shows, if that is all it shows: no member list because every
 * endpoint refused the user or password, or a list but no member answering Status for this user (etcd
 * 3.4.42+/3.5.28+/3.6 want the root role). A command throws it (exit 3, commands/errors.ts), never falls back.
 */
export function credentialsRefusal(result: ObserveResult): CredentialsRefusedError | undefined {
	if (result.kind === 'no-member-list') return isCredentialsKind(result.failureKind) ? new CredentialsRefusedError({kind: result.failureKind, message: result.message}) : undefined;
	const {probes, statuses} = result.reading;
	const refusals = probes.map(probe => probe.classified).filter((failure): failure is Failure => failure !== undefined && isCredentialsKind(failure.kind));
	if (Object.keys(statuses).length > 0 || probes.length === 0 || refusals.length < probes.length) return undefined;
	const isAuth = refusals.some(failure => failure.kind === 'auth');
	return new CredentialsRefusedError({kind: isAuth ? 'auth' : 'permission-denied', message: [...new Set(refusals.map(failure => failure.message))].join('; ')});
}

/** observeCluster with clients of its own, closed once it is done (a one-off look: a save, a plan). */
export async function observeOnce(routes: Pick<Routes, 'client'>, options: ObserveOptions): Promise<ObserveResult> {
	const clients = clientPool(routes);
	try {
		return await observeCluster(clients.client, options);
	} finally {
		clients.close();
	}
}
