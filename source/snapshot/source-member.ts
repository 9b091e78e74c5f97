import {findMember} from '../model/members.js';
import {compareText} from '../model/order.js';
import type {EndpointStatus, MemberInfo} from '../model/types.js';
import type {EndpointProbe} from '../route/observe.js';

export type {EndpointProbe};

export type SourceChoice =
	| {readonly kind: 'chosen'; readonly member: MemberInfo; readonly endpoint: string; readonly status: EndpointStatus}
	| {readonly kind: 'unknown-member'; readonly from: string}
	| {readonly kind: 'ambiguous-member'; readonly from: string}
	| {readonly kind: 'unreachable'; readonly member: MemberInfo; readonly failures: readonly string[]}
	| {readonly kind: 'none-reachable'; readonly failures: readonly string[]};

function reachableEndpoint(member: MemberInfo, probes: readonly EndpointProbe[]): EndpointProbe | undefined {
	return probes.find(probe => probe.status !== undefined && probe.status.memberId === member.id);
}

/**
 * The member to stream from: the one named by --from (name or hex ID), else the reachable voter that has
 * applied the most raft entries, so the snapshot is as fresh as the cluster allows. Ties go to a follower
 * (streaming a big snapshot costs the leader heartbeats' worth of disk and CPU), then to the name.
 */
export function chooseSourceMember(members: readonly MemberInfo[], probes: readonly EndpointProbe[], from?: string): SourceChoice {
	const failures = probes.filter(probe => probe.status === undefined).map(probe => `${probe.endpoint}: ${probe.failure ?? 'no answer'}`);
	if (from !== undefined) {
		const member = findMember(members, from);
		if (member === 'ambiguous') return {kind: 'ambiguous-member', from};
		if (!member) return {kind: 'unknown-member', from};
		const probe = reachableEndpoint(member, probes);
		if (!probe?.status) {
			const own = probes.filter(p => p.status === undefined && member.clientUrls.includes(p.endpoint)).map(p => `${p.endpoint}: ${p.failure ?? 'no answer'}`);
			return {kind: 'unreachable', member, failures: own.length > 0 ? own : failures};
		}
		return {kind: 'chosen', member, endpoint: probe.endpoint, status: probe.status};
	}
	const candidates = members
		.filter(member => !member.isLearner)
		.map(member => ({member, probe: reachableEndpoint(member, probes)}))
		.filter((entry): entry is {member: MemberInfo; probe: EndpointProbe & {status: EndpointStatus}} => entry.probe?.status !== undefined && !entry.probe.status.isLearner)
		.sort((a, b) => {
			const applied = b.probe.status.raftAppliedIndex - a.probe.status.raftAppliedIndex;
			if (applied !== 0) return applied;
			const aLeads = a.probe.status.leader === a.member.id ? 1 : 0;
			const bLeads = b.probe.status.leader === b.member.id ? 1 : 0;
			if (aLeads !== bLeads) return aLeads - bLeads;
			return compareText(a.member.name, b.member.name);
		});
	const best = candidates[0];
	if (!best) return {kind: 'none-reachable', failures};
	return {kind: 'chosen', member: best.member, endpoint: best.probe.endpoint, status: best.probe.status};
}
