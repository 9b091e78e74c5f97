import {describeStatusError, memberStateOf} from '../model/member-state.js';
import {formatLatency, humanBytes} from '../model/format.js';
import type {ClusterView, MemberView} from '../model/cluster-view.js';
import {reportedVersions, versionNotes} from '../model/version-notes.js';
import {renderTable} from './table.js';

const headers = ['ENDPOINT', 'NAME', 'ID', 'STATE', 'VERSION', 'DB SIZE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM', 'RAFT INDEX', 'RAFT APPLIED INDEX', 'LATENCY', 'FSYNC P99', 'COMMIT P99', 'PEER RTT P99', 'ERRORS'];
// etcd 3.6+ reports its quota and storage version; the columns appear only when some member sent them.
const headers36 = ['QUOTA', 'STORAGE VERSION'];

function hasStatus36(view: ClusterView): boolean {
	return view.members.some(member => member.status?.dbSizeQuota !== undefined || member.status?.storageVersion !== undefined);
}

function errorsOf(member: MemberView, view: ClusterView): string {
	const nameOf = (id: string) => view.members.find(candidate => candidate.id === id)?.name;
	const errors = (member.status?.errors ?? []).map(error => describeStatusError(error, nameOf));
	if (member.failure) errors.push(member.failure.message);
	else if (member.metrics?.error) errors.push(`metrics: ${member.metrics.error.message}`);
	return errors.join(', ');
}

/** The three latency percentiles; "-" where unknown (not read, or nothing observed in the window). */
export function metricsCells(member: MemberView): [string, string, string] {
	const reading = member.metrics?.error ? undefined : member.metrics?.reading;
	const cell = (ms: number | undefined) => (ms === undefined ? '-' : formatLatency(ms));
	return [cell(reading?.walFsyncP99Ms), cell(reading?.backendCommitP99Ms), cell(reading?.peerRttP99Ms)];
}

function cells(member: MemberView, view: ClusterView, isStatus36 = false): string[] {
	const status = member.status;
	const value = (of: (s: NonNullable<typeof status>) => string) => (status ? of(status) : '-');
	const extra = isStatus36 ? [value(s => (s.dbSizeQuota === undefined ? '-' : humanBytes(Number(s.dbSizeQuota)))), value(s => s.storageVersion || '-')] : [];
	return [
		member.endpoint ?? '-',
		member.name || '-',
		member.id ?? '-',
		memberStateOf(member).word,
		value(s => s.version),
		value(s => humanBytes(s.dbSize)),
		status ? String(member.isLeader) : '-',
		status ? String(member.isLearner) : '-',
		value(s => String(s.raftTerm)),
		value(s => String(s.raftIndex)),
		value(s => String(s.raftAppliedIndex)),
		status ? formatLatency(member.latencyMs) : '-',
		...metricsCells(member),
		...extra,
		errorsOf(member, view),
	];
}

function summary(view: ClusterView): string {
	const leader = view.leader ? `${view.leader.name} (${view.leader.id})` : 'none';
	// Without a member list the voters are only the endpoints given: one dead endpoint is not a 1-voter cluster.
	const counts = view.hasMemberList
		? `${view.reachableVoters}/${view.voters} voters reachable, quorum ${view.quorum}, tolerates ${view.tolerance} more failure${view.tolerance === 1 ? '' : 's'}`
		: `member list unknown (no endpoint answered it), so voters and quorum are unknown; ${view.members.filter(member => member.status).length} of ${view.members.length} endpoint${view.members.length === 1 ? '' : 's'} answered`;
	const head = `cluster ${view.id ?? 'unknown'}: ${view.health}; leader ${leader}; ${counts}`;
	const reasons = view.reasons.map(reason => `  - ${reason}\n`).join('');
	// Known problems of the versions running: advice, not health (the exit code ignores them).
	const notes = versionNotes(reportedVersions(view.members)).map(note => `note: ${note.text}\n`).join('');
	return `${head}\n${reasons}${notes}`;
}

/** etcdctl's endpoint status table plus NAME, STATE, LATENCY and the /metrics p99s, then one line on the cluster. */
export function statusTable(view: ClusterView): string {
	const isStatus36 = hasStatus36(view);
	const allHeaders = isStatus36 ? [...headers.slice(0, -1), ...headers36, 'ERRORS'] : headers;
	return renderTable(allHeaders, view.members.map(member => cells(member, view, isStatus36))) + summary(view);
}

/** etcdctl's "simple" format: one comma-separated line per member. */
export function statusSimple(view: ClusterView): string {
	const isStatus36 = hasStatus36(view);
	return view.members.map(member => cells(member, view, isStatus36).join(', ') + '\n').join('');
}
