import type {MemberInfo} from '../etcd/types.js';
import {failuresTolerated, quorumOf} from '../model/quorum.js';

/** Quorum maths before and after one membership change, from the member list and who answered. */
export interface QuorumNumbers {
	readonly voters: number;
	readonly quorum: number;
	readonly reachableVoters: number;
	readonly tolerance: number;
	readonly votersAfter: number;
	readonly quorumAfter: number;
	readonly reachableVotersAfter: number;
	readonly toleranceAfter: number;
}

export type GuardVerdict = {readonly isAllowed: true; readonly numbers: QuorumNumbers} | {readonly isAllowed: false; readonly numbers: QuorumNumbers; readonly reason: string};

function numbers(voters: number, reachable: number, votersAfter: number, reachableAfter: number): QuorumNumbers {
	return {
		voters,
		quorum: quorumOf(voters),
		reachableVoters: reachable,
		tolerance: failuresTolerated(voters, reachable),
		votersAfter,
		quorumAfter: votersAfter === 0 ? 0 : quorumOf(votersAfter),
		reachableVotersAfter: reachableAfter,
		toleranceAfter: votersAfter === 0 ? 0 : failuresTolerated(votersAfter, reachableAfter),
	};
}

export function describeNumbers(n: QuorumNumbers): string {
	return `now ${n.reachableVoters}/${n.voters} voters reachable, quorum ${n.quorum}, tolerates ${n.tolerance}; after: ${n.reachableVotersAfter}/${n.votersAfter} reachable, quorum ${n.quorumAfter}, tolerates ${n.toleranceAfter}`;
}

function voters(members: readonly MemberInfo[]): readonly MemberInfo[] {
	return members.filter(member => !member.isLearner);
}

function countReachable(list: readonly MemberInfo[], reachable: ReadonlySet<string>): number {
	return list.filter(member => reachable.has(member.id)).length;
}

/**
 * May `target` leave? The change itself needs today's quorum to commit, and what is left must still hold a
 * quorum of reachable voters — else the cluster stops accepting writes the moment the removal applies.
 */
export function guardRemoval(members: readonly MemberInfo[], reachable: ReadonlySet<string>, targetId: string): GuardVerdict {
	const all = voters(members);
	const target = members.find(member => member.id === targetId);
	const reachableNow = countReachable(all, reachable);
	const isVoter = target !== undefined && !target.isLearner;
	const votersAfter = all.length - (isVoter ? 1 : 0);
	const reachableAfter = reachableNow - (isVoter && reachable.has(targetId) ? 1 : 0);
	const n = numbers(all.length, reachableNow, votersAfter, reachableAfter);
	if (reachableNow < n.quorum) {
		return {isAllowed: false, numbers: n, reason: `the cluster has no quorum (${reachableNow} of ${n.voters} voters reachable, ${n.quorum} needed), so no removal can commit; bring members back first`};
	}
	if (!isVoter) return {isAllowed: true, numbers: n};
	if (votersAfter === 0) return {isAllowed: false, numbers: n, reason: 'it is the last voter'};
	if (reachableAfter < n.quorumAfter) {
		return {
			isAllowed: false,
			numbers: n,
			reason: `removing it leaves ${reachableAfter} reachable of ${votersAfter} voters, below the new quorum of ${n.quorumAfter}: the cluster would stop accepting writes. Replace the unreachable member(s) first`,
		};
	}
	return {isAllowed: true, numbers: n};
}

/**
 * May a member join? A voter raises the quorum before it has started, so the reachable voters must already
 * meet the quorum of the larger cluster; a learner changes no quorum but the change still needs one.
 */
export function guardAddition(members: readonly MemberInfo[], reachable: ReadonlySet<string>, isLearner: boolean): GuardVerdict {
	const all = voters(members);
	const reachableNow = countReachable(all, reachable);
	const votersAfter = all.length + (isLearner ? 0 : 1);
	const n = numbers(all.length, reachableNow, votersAfter, reachableNow);
	if (reachableNow < n.quorum) {
		return {isAllowed: false, numbers: n, reason: `the cluster has no quorum (${reachableNow} of ${n.voters} voters reachable, ${n.quorum} needed), so the addition cannot commit`};
	}
	if (reachableNow < n.quorumAfter) {
		return {
			isAllowed: false,
			numbers: n,
			reason: `a new voter makes ${votersAfter} voters with quorum ${n.quorumAfter}, but only ${reachableNow} are reachable: the cluster would stop accepting writes until it starts. Add it as a learner, or replace the unreachable member first`,
		};
	}
	return {isAllowed: true, numbers: n};
}
