import {clockTime} from './format.js';

/**
 * What stays the same for the whole life of a cluster, as far as the console has seen it: its cluster ID,
 * and each member's raft term, which only ever grows. A change of either is never churn: the endpoints now
 * answer for another cluster, or the cluster was restored from a snapshot, or a member's data was replaced.
 */
export interface Identity {
	/** Every cluster ID seen, the first one first. */
	readonly clusterIds: readonly string[];
	/** The highest raft term each member (by hex ID) has answered with. */
	readonly termById: Readonly<Record<string, number>>;
}

/** A loud finding: an event in the log and a line in the header for as long as the console runs. */
export interface IdentityAlert {
	readonly at: number;
	readonly type: 'cluster-id-changed' | 'term-went-back';
	readonly text: string;
}

export const initialIdentity: Identity = Object.freeze({clusterIds: Object.freeze([]), termById: Object.freeze({})});

/** A cluster ID answered by a member or a member list: an alert when it is not the first one seen. */
export function seeClusterId(identity: Identity, clusterId: string, at: number, by: string): {identity: Identity; alert: IdentityAlert | undefined} {
	if (clusterId === '' || identity.clusterIds.includes(clusterId)) return {identity, alert: undefined};
	const clusterIds = Object.freeze([...identity.clusterIds, clusterId]);
	const before = identity.clusterIds.at(-1);
	if (before === undefined) return {identity: {...identity, clusterIds}, alert: undefined};
	return {
		identity: {...identity, clusterIds},
		alert: {
			at,
			type: 'cluster-id-changed',
			text: `cluster ID changed ${before} -> ${clusterId} at ${clockTime(at)} (${by}): another cluster answers, or it was restored from a snapshot`,
		},
	};
}

/** A member's raft term: an alert when it is lower than it was, which raft never does by itself. */
export function seeTerm(identity: Identity, memberId: string, term: number, at: number, name: string): {identity: Identity; alert: IdentityAlert | undefined} {
	const before = identity.termById[memberId];
	if (before === term) return {identity, alert: undefined};
	const next = {...identity, termById: Object.freeze({...identity.termById, [memberId]: term})};
	if (before === undefined || term > before) return {identity: next, alert: undefined};
	return {
		identity: next,
		alert: {
			at,
			type: 'term-went-back',
			text: `raft term went back on ${name}: ${before} -> ${term} at ${clockTime(at)}: its data was replaced (a restore, a wiped data dir)`,
		},
	};
}
