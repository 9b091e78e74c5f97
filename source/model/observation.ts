import {leaderOf} from './leader.js';
import type {EndpointStatus, MemberInfo} from './types.js';
import {isVersionAtLeast} from './version-notes.js';

/**
 * One look at the cluster: the member list, then each member's status (route/observe.ts reads it). The
 * member workflows decide on it, snapshots choose their source from it, the restore plan lists it.
 */
export interface Observation {
	readonly at: number;
	readonly members: readonly MemberInfo[];
	/** By hex member ID, for members that answered. */
	readonly statuses: Readonly<Record<string, EndpointStatus>>;
	/** By hex member ID: the endpoint that answered as that member (absent: its first client URL). */
	readonly endpoints?: Readonly<Record<string, string>>;
	/** By hex member ID, why a member did not answer. */
	readonly failures: Readonly<Record<string, string>>;
	/** The endpoint that gave the member list, and whether it was asked to read it through raft. */
	readonly listFrom?: ListFrom;
}

export interface ListFrom {
	readonly endpoint: string;
	/**
	 * Asked for the cluster's current list: a linearizable read through the same member first (the read
	 * index barrier: the member has applied every committed membership change), then its list; what etcd
	 * 3.5+ does for a linearizable MemberList, and what makes 3.4's serializable-only list current too
	 * (etcd/member-client.ts memberList).
	 */
	readonly isLinearizable: boolean;
}

/** Versions whose MemberList has no linearizable form (it came with etcd 3.5): the read index barrier stands in. */
const isBefore35 = (version: string | undefined) => isVersionAtLeast(version, 3, 5) === false;

/**
 * How a member list was read, in words: by whom, and whether it is the cluster's current list (read through
 * raft: linearizable on 3.5+, after a linearizable read through the same member on 3.4) or what one member
 * last knew (serializable), which may be stale if that member is cut off. A decision is taken on the
 * first; a view or plan from the second says so.
 */
export function memberListSource(
	listFrom: ListFrom | undefined,
	members: readonly MemberInfo[],
	statuses: Readonly<Record<string, EndpointStatus>>,
): {readonly name: string; readonly isLinearizable: boolean; readonly text: string} | undefined {
	if (!listFrom) return undefined;
	const member = members.find(candidate => candidate.clientUrls.includes(listFrom.endpoint));
	const name = member?.name || member?.id || listFrom.endpoint;
	const version = member ? statuses[member.id]?.version : undefined;
	if (listFrom.isLinearizable && version !== undefined && isBefore35(version)) {
		return {name, isLinearizable: true, text: `member list read from ${name} (etcd ${version}: after a linearizable read through it): the cluster's current list`};
	}
	if (listFrom.isLinearizable) return {name, isLinearizable: true, text: `member list read from ${name} (linearizable: the cluster's current list)`};
	return {name, isLinearizable: false, text: `member list read from ${name} (serializable): it may be stale`};
}

/** The leader by the one rule (model/leader.ts), if it is in the member list. */
export function observedLeader(observation: Pick<Observation, 'members' | 'statuses'>): string | undefined {
	const leader = leaderOf(Object.values(observation.statuses));
	return leader !== undefined && observation.members.some(member => member.id === leader) ? leader : undefined;
}

/**
 * The leader by the one rule when it answers itself: right after a leader hangs or dies the others still
 * name it for an election timeout or two, and then name none until they have elected another.
 */
export function answeringLeader(observation: Pick<Observation, 'members' | 'statuses'>): MemberInfo | undefined {
	const leader = observedLeader(observation);
	return leader !== undefined && observation.statuses[leader] !== undefined ? observation.members.find(member => member.id === leader) : undefined;
}

/** Members that answered as themselves. */
export function answeringIds(observation: Pick<Observation, 'statuses'>): ReadonlySet<string> {
	return new Set(Object.keys(observation.statuses));
}

/** Where a member answered in this observation (a configured endpoint may be the only way to it), else its first client URL. */
export function endpointOf(observation: Pick<Observation, 'endpoints'> | undefined, member: Pick<MemberInfo, 'id' | 'clientUrls'>): string | undefined {
	return observation?.endpoints?.[member.id] ?? member.clientUrls[0];
}

/**
 * Where a raft request (a member change, compact, alarm disarm) goes: the leader when it answers, else
 * any voter that answers (it forwards to the leader); undefined when no voter answers.
 */
export function requestEndpoint(observation: Observation): string | undefined {
	const leaderId = observedLeader(observation);
	const answers = (member: MemberInfo) => observation.statuses[member.id] !== undefined;
	const leader = observation.members.find(member => member.id === leaderId && answers(member));
	const voter = leader ?? observation.members.find(member => !member.isLearner && answers(member));
	return voter && endpointOf(observation, voter);
}
