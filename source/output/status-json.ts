import type {ClusterView, MemberView} from '../model/cluster-view.js';
import {reportedVersions, versionNotes} from '../model/version-notes.js';
import {memberStateOf} from '../model/member-state.js';

const roundMs = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms * 100) / 100);
const orNull = <T>(value: T | undefined) => (value === undefined ? null : value);

/**
 * `members[].metrics`: percentiles in ms over --metrics-window (lifetime without it), etcd's counters
 * since the member started, gauges as read; null where unknown, with the reason in `metricsError`.
 */
export function metricsJson(member: MemberView): {metrics: Record<string, number | null>; metricsError: string | null} {
	const track = member.metrics;
	const reading = track?.error ? undefined : track?.reading;
	const error = track?.error?.message ?? (reading ? null : member.health === 'unstarted' ? 'the member is not started' : 'not read');
	return {
		metrics: {
			walFsyncP99Ms: roundMs(reading?.walFsyncP99Ms),
			backendCommitP99Ms: roundMs(reading?.backendCommitP99Ms),
			peerRttP99Ms: roundMs(reading?.peerRttP99Ms),
			leaderChanges: orNull(reading?.leaderChanges),
			proposalsFailed: orNull(reading?.proposalsFailed),
			proposalsPending: orNull(reading?.proposalsPending),
			quotaBytes: orNull(reading?.quotaBytes),
			openFds: orNull(reading?.openFds),
			maxFds: orNull(reading?.maxFds),
		},
		metricsError: error,
	};
}

/** The documented `status -w json` shape: IDs as hex strings, sizes in bytes. */
export function statusJson(view: ClusterView): unknown {
	return {
		cluster: {
			id: view.id ?? null,
			state: view.health,
			leader: view.leader?.id ?? null,
			leaderName: view.leader?.name ?? null,
			raftTerm: view.raftTerm,
			revision: view.revision,
			// null while no endpoint answered the member list: the endpoints given are not the voters.
			voters: view.hasMemberList ? view.voters : null,
			learners: view.hasMemberList ? view.learners : null,
			reachableVoters: view.reachableVoters,
			quorum: view.hasMemberList ? view.quorum : null,
			tolerance: view.hasMemberList ? view.tolerance : null,
			reasons: view.reasons,
			// Known problems of the running etcd versions, with where each is documented; not part of `state`.
			notes: versionNotes(reportedVersions(view.members)),
		},
		members: view.members.map(member => ({
			name: member.name,
			id: member.id ?? null,
			endpoint: member.endpoint ?? null,
			reachable: member.health === 'ok',
			// The member's own word: `ok` only without errors or alarms of its own (see model/member-state.ts).
			state: memberStateOf(member).word,
			error: member.failure ? {kind: member.failure.kind, message: member.failure.message} : member.health === 'unstarted' ? {kind: 'not-started', message: 'added to the cluster but not started'} : null,
			latencyMs: member.latencyMs === undefined ? null : Math.round(member.latencyMs * 100) / 100,
			isLeader: member.isLeader,
			isLearner: member.isLearner,
			version: member.status?.version ?? null,
			raftTerm: member.status?.raftTerm ?? null,
			raftIndex: member.status?.raftIndex ?? null,
			raftAppliedIndex: member.status?.raftAppliedIndex ?? null,
			dbSize: member.status?.dbSize ?? null,
			dbSizeInUse: member.status?.dbSizeInUse ?? null,
			// etcd 3.6+ sends these; null from 3.4 and 3.5. The quota in bytes fits a JSON number (etcd caps it at 100 GB).
			dbSizeQuota: member.status?.dbSizeQuota === undefined ? null : Number(member.status.dbSizeQuota),
			storageVersion: member.status?.storageVersion ?? null,
			downgrade: member.status?.downgradeInfo ? {enabled: member.status.downgradeInfo.isEnabled, targetVersion: member.status.downgradeInfo.targetVersion || null} : null,
			alarms: member.alarms,
			errors: member.status?.errors ?? [],
			peerUrls: member.peerUrls,
			...metricsJson(member),
		})),
	};
}
