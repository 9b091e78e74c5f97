import {leaderOf} from './leader.js';
import type {EndpointStatus, MemberInfo} from './types.js';

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
}

/** The leader by the one rule (model/leader.ts), if it is in the member list. */
export function observedLeader(observation: Pick<Observation, 'members' | 'statuses'>): string | undefined {
	const leader = leaderOf(Object.values(observation.statuses));
	return leader !== undefined && observation.members.some(member => member.id === leader) ? leader : undefined;
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
