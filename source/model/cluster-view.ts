import type {Sample} from './history.js';
import {failureLabel} from './failure-label.js';
import {leaderOf, reportsNoLeader} from './leader.js';
import {isStarted} from './members.js';
import {failuresTolerated, quorumOf} from './quorum.js';
import {activeFindings, type MetricsTrack} from './metrics-window.js';
import type {Alarm, EndpointStatus, Failure, MemberInfo, MemberList} from './types.js';
import type {IdentityAlert} from './identity.js';
import {compareText} from './order.js';

export type Probe =
	| {readonly state: 'pending'}
	| {readonly state: 'ok'; readonly at: number; readonly latencyMs: number; readonly status: EndpointStatus}
	| {
		readonly state: 'unreachable';
		readonly at: number;
		readonly failure: Failure;
		/** When this run of failures began. */
		readonly since: number;
		readonly lastOkAt: number | undefined;
	};

export type MemberHealth = 'ok' | 'unreachable' | 'pending' | 'unstarted';

export interface MemberView {
	/** Hex member ID when known, else the endpoint. */
	readonly key: string;
	readonly id: string | undefined;
	readonly name: string;
	readonly endpoint: string | undefined;
	readonly peerUrls: readonly string[];
	readonly clientUrls: readonly string[];
	readonly isLearner: boolean;
	readonly isLeader: boolean;
	readonly health: MemberHealth;
	readonly status: EndpointStatus | undefined;
	readonly latencyMs: number | undefined;
	readonly failure: Failure | undefined;
	readonly downSince: number | undefined;
	readonly lastOkAt: number | undefined;
	readonly alarms: readonly string[];
	readonly history: readonly Sample[];
	/** What the member's /metrics say; undefined before the first scrape (or when metrics are not read). */
	readonly metrics: MetricsTrack | undefined;
}

/** `critical`: a member's /metrics cross a critical threshold (WAL fsync p99 over 1 s). */
/**
 * `connecting`: some members have not answered yet, and what they say could change the verdict; they are
 * unknown, not down (a TLS handshake and an auth token exchange can take seconds before the first answer).
 */
export type ClusterHealth = 'healthy' | 'degraded' | 'critical' | 'alarm' | 'no-leader' | 'no-quorum' | 'unreachable' | 'connecting' | 'permission-denied' | 'auth-failed';

export interface ClusterView {
	readonly id: string | undefined;
	readonly health: ClusterHealth;
	/** Why the cluster is not healthy, in words. */
	readonly reasons: readonly string[];
	/** `term`: the raft term at which the members name it. */
	readonly leader: {readonly id: string; readonly name: string; readonly term: number} | undefined;
	readonly raftTerm: number;
	readonly revision: number;
	readonly voters: number;
	readonly learners: number;
	readonly reachableVoters: number;
	/** Voters that have not answered yet: neither up nor down. */
	readonly pendingVoters: number;
	readonly quorum: number;
	/** How many more voters may fail, counting the voters that have not answered yet as down (a lower bound while pendingVoters > 0). */
	readonly tolerance: number;
	readonly members: readonly MemberView[];
	readonly alarms: readonly Alarm[];
	/** Whether rows come from a member list (else only from the configured endpoints). */
	readonly hasMemberList: boolean;
	/** When any member last answered; undefined before the first answer. */
	readonly lastAnswerAt: number | undefined;
	/** A changed cluster ID and raft terms that went back, oldest first: the header keeps saying so. */
	readonly alerts: readonly IdentityAlert[];
}

export interface ViewInput {
	readonly endpoints: readonly string[];
	readonly isDiscovering: boolean;
	readonly memberList: MemberList | undefined;
	readonly probes: Readonly<Record<string, Probe>>;
	readonly history: Readonly<Record<string, readonly Sample[]>>;
	/** By hex member ID: the name a member was added under from this console, shown until etcd reports one. */
	readonly givenNames?: Readonly<Record<string, string>>;
	/** Each watched endpoint's /metrics, by endpoint like the probes. */
	readonly metrics: Readonly<Record<string, MetricsTrack>>;
	/** Why no endpoint answered MemberList, while the member list is unknown. */
	readonly memberListFailure?: Failure | undefined;
	/** The endpoint whose member list this is: a serializable read, what that member last knew. */
	readonly memberListFrom?: string;
	/** A changed cluster ID and raft terms that went back, since the console started (model/identity.ts). */
	readonly alerts?: readonly IdentityAlert[];
}

const pending: Probe = Object.freeze({state: 'pending'});

/** The endpoints the poller should probe: every started member's client URL, or the configured ones. */
export function watchedEndpoints(input: Pick<ViewInput, 'endpoints' | 'isDiscovering' | 'memberList'>): readonly string[] {
	if (!input.isDiscovering || !input.memberList) return input.endpoints;
	const urls = input.memberList.members.flatMap(member => (member.clientUrls[0] ? [member.clientUrls[0]] : []));
	return urls.length > 0 ? [...new Set(urls)] : input.endpoints;
}

/** Every answering member reports the cluster's alarms; one that lags may not know one yet. */
function activeAlarms(input: ViewInput): Alarm[] {
	const byKey = new Map<string, Alarm>();
	for (const endpoint of watchedEndpoints(input)) {
		const probe = input.probes[endpoint];
		if (probe?.state !== 'ok') continue;
		for (const alarm of probe.status.alarms) byKey.set(`${alarm.memberId}/${alarm.alarm}`, alarm);
	}
	return [...byKey.values()].sort((a, b) => compareText(`${a.memberId}/${a.alarm}`, `${b.memberId}/${b.alarm}`));
}

function memberRow(
	info: Pick<MemberInfo, 'name' | 'peerUrls' | 'clientUrls' | 'isLearner'> & {id: string | undefined},
	endpoint: string | undefined,
	probe: Probe,
	input: ViewInput,
	alarms: readonly Alarm[],
	isStarted: boolean,
): Omit<MemberView, 'isLeader'> {
	const status = probe.state === 'ok' ? probe.status : undefined;
	const id = info.id ?? status?.memberId;
	const key = id ?? endpoint ?? 'unknown';
	return {
		key,
		id,
		name: info.name,
		endpoint,
		peerUrls: info.peerUrls,
		clientUrls: info.clientUrls,
		isLearner: status?.isLearner ?? info.isLearner,
		health: !isStarted ? 'unstarted' : probe.state,
		status,
		latencyMs: probe.state === 'ok' ? probe.latencyMs : undefined,
		failure: probe.state === 'unreachable' ? probe.failure : undefined,
		downSince: probe.state === 'unreachable' ? probe.since : undefined,
		lastOkAt: probe.state === 'ok' ? probe.at : probe.state === 'unreachable' ? probe.lastOkAt : undefined,
		alarms: [...new Set(alarms.filter(alarm => alarm.memberId === id).map(alarm => alarm.alarm))],
		history: input.history[key] ?? [],
		metrics: endpoint ? input.metrics[endpoint] : undefined,
	};
}

function rows(input: ViewInput, alarms: readonly Alarm[]): Array<Omit<MemberView, 'isLeader'>> {
	const watched = watchedEndpoints(input);
	const probeFor = (endpoint: string | undefined) => (endpoint ? input.probes[endpoint] ?? pending : pending);
	const list = input.memberList;
	if (!list) {
		return watched.map(endpoint => {
			return memberRow({id: undefined, name: '', peerUrls: [], clientUrls: [endpoint], isLearner: false}, endpoint, probeFor(endpoint), input, alarms, true);
		});
	}
	// A member answers for itself: its status carries its ID, which joins it to the member list even
	// when the configured endpoint is spelled differently from the URL it advertises.
	const endpointById = new Map<string, string>();
	for (const endpoint of watched) {
		const probe = input.probes[endpoint];
		if (probe?.state === 'ok') endpointById.set(probe.status.memberId, endpoint);
	}
	const used = new Set<string>();
	const result = list.members.flatMap(member => {
		const endpoint = endpointById.get(member.id) ?? member.clientUrls.find(url => watched.includes(url));
		if (!input.isDiscovering && endpoint === undefined) return [];
		if (endpoint) used.add(endpoint);
		// Until etcd reports a name (the member starts), the one etcdtop added it under stands in for it.
		const named = member.name === '' && input.givenNames?.[member.id] ? {...member, name: input.givenNames[member.id]!} : member;
		return [memberRow(named, endpoint, probeFor(endpoint), input, alarms, isStarted(member))];
	});
	for (const endpoint of watched) {
		if (used.has(endpoint)) continue;
		result.push(memberRow({id: undefined, name: '', peerUrls: [], clientUrls: [endpoint], isLearner: false}, endpoint, probeFor(endpoint), input, alarms, true));
	}
	return result;
}

export function memberLabel(row: Pick<MemberView, 'name' | 'id' | 'endpoint'>): string {
	return row.name || row.id || row.endpoint || 'unknown member';
}

export function deriveView(input: ViewInput): ClusterView {
	const alarms = activeAlarms(input);
	const base = rows(input, alarms).sort((a, b) => compareText(a.name || '~' + a.key, b.name || '~' + b.key));
	const answering = base.filter(row => row.status);
	const highestTerm = Math.max(0, ...answering.map(row => row.status!.raftTerm));
	const leaderIds = new Set(answering.map(row => row.status!.leader).filter(id => id !== '0'));
	const leaderId = leaderOf(answering.map(row => row.status!));
	const members: MemberView[] = base.map(row => Object.freeze({...row, isLeader: row.id !== undefined && row.id === leaderId}));
	const leaderRow = members.find(row => row.isLeader);
	const leaderTerm = Math.max(0, ...answering.filter(row => row.status!.leader === leaderId).map(row => row.status!.raftTerm));
	const leader = leaderId ? {id: leaderId, name: leaderRow?.name || leaderId, term: leaderTerm} : undefined;

	const listVoters = input.memberList?.members.filter(member => !member.isLearner);
	const voterRows = members.filter(row => !row.isLearner);
	const voters = listVoters?.length ?? voterRows.length;
	const learners = input.memberList ? input.memberList.members.length - voters : members.length - voterRows.length;
	const reachableVoters = voterRows.filter(row => row.health === 'ok').length;
	const pendingVoters = voterRows.filter(row => row.health === 'pending').length;
	const pendingRows = members.filter(row => row.health === 'pending');
	const quorum = quorumOf(voters);
	// With --no-discover some voters may not be watched: then only the leader's presence speaks for quorum.
	const isEveryVoterWatched = voterRows.length >= voters;

	const reasons: string[] = [];
	// A member that refuses this user answered: it is up, but its numbers are not ours to see.
	const denied = members.filter(row => row.failure?.kind === 'permission-denied');
	for (const row of members) {
		if (row.failure?.kind === 'permission-denied') reasons.push(`${memberLabel(row)} refuses this user (permission denied)`);
		else if (row.health === 'unreachable') reasons.push(`${memberLabel(row)} unreachable (${failureLabel(row.failure)})`);
		else if (row.health === 'unstarted') reasons.push(`${memberLabel(row)} added but not started`);
		else if (row.health === 'pending') reasons.push(`${memberLabel(row)} not answered yet`);
	}
	if (!input.memberList && input.memberListFailure) {
		// Without it the voters are only the endpoints given: one dead endpoint is not a 1-voter cluster.
		reasons.push(`member list unknown (${failureLabel(input.memberListFailure)}): voters and quorum cannot be told`);
	}
	if (leaderIds.size > 1) reasons.push('members disagree on the leader');
	const clusterIds = new Set(answering.map(row => row.status!.clusterId));
	if (clusterIds.size > 1) reasons.push('members report different cluster IDs');
	const alarmNames = [...new Set(alarms.map(alarm => alarm.alarm))];
	// Only the members that answer count: a dead member's last numbers say nothing about now.
	const findings = members.flatMap(row => (row.health === 'ok' ? activeFindings(row.metrics).filter(finding => finding.level !== 'notice').map(finding => ({row, finding})) : []));
	const critical = findings.filter(({finding}) => finding.level === 'critical');
	for (const {row, finding} of [...critical, ...findings.filter(({finding}) => finding.level === 'warning')]) reasons.push(`${memberLabel(row)}: ${finding.text}`);

	const leaderless = answering.filter(row => reportsNoLeader(row.status!));
	// The list is what one member last knew (serializable: it must read without quorum). From a member cut off
	// from the leader it may be stale: said where the cluster's state is judged.
	const listedBy = input.memberList && input.memberListFrom ? leaderless.find(row => row.endpoint === input.memberListFrom || row.clientUrls.includes(input.memberListFrom!)) : undefined;
	if (listedBy) reasons.push(`member list read from ${memberLabel(listedBy)} (serializable), which reports no leader: it may be stale`);
	// A wrong user or password: etcd refused to authenticate, so nothing it says can be judged either.
	const unauthenticated = members.find(row => row.failure?.kind === 'auth');
	let health: ClusterHealth;
	if (denied.length > 0) {
		// Whatever else is true, the health cannot be judged with these credentials: say why, once.
		health = 'permission-denied';
		reasons.unshift(denied[0]!.failure!.message);
	} else if (unauthenticated) {
		health = 'auth-failed';
		reasons.unshift(`authentication failed: ${unauthenticated.failure!.message} (check --user and ETCDCTL_PASSWORD)`);
	} else if (answering.length === 0 && pendingRows.length === 0) {
		health = 'unreachable';
		if (reasons.length === 0) reasons.push('no endpoint answered');
	} else if (isEveryVoterWatched && reachableVoters + pendingVoters < quorum) {
		// Even if every member that has not answered yet does: no quorum.
		health = 'no-quorum';
		reasons.unshift(`${reachableVoters} of ${voters} voters reachable, quorum needs ${quorum}`);
	} else if (answering.length === 0 || (isEveryVoterWatched && reachableVoters < quorum)) {
		// A member not heard from yet is unknown, not down: whether there is quorum waits for its first answer.
		health = 'connecting';
	} else if (!leader || leaderless.length > 0) {
		health = 'no-leader';
		reasons.unshift(!leader ? 'no member reports a leader' : `${leaderless.map(memberLabel).join(', ')} report${leaderless.length === 1 ? 's' : ''} no leader`);
	} else if (alarmNames.length > 0) {
		health = 'alarm';
		reasons.unshift(`alarm ${alarmNames.join(', ')} active`);
	} else if (critical.length > 0) {
		health = 'critical';
	} else if (pendingRows.length > 0) {
		health = 'connecting';
	} else if (reasons.length > 0) {
		health = 'degraded';
	} else {
		health = 'healthy';
	}

	const okTimes = members.map(row => row.lastOkAt).filter((at): at is number => at !== undefined);
	return Object.freeze({
		id: input.memberList?.clusterId ?? answering[0]?.status!.clusterId,
		health,
		reasons: Object.freeze(reasons),
		leader,
		raftTerm: highestTerm,
		revision: Math.max(0, ...answering.map(row => row.status!.revision)),
		voters,
		learners,
		reachableVoters,
		pendingVoters,
		quorum,
		tolerance: failuresTolerated(voters, reachableVoters),
		members: Object.freeze(members),
		alarms,
		hasMemberList: input.memberList !== undefined,
		lastAnswerAt: okTimes.length > 0 ? Math.max(...okTimes) : undefined,
		alerts: input.alerts ?? [],
	});
}
