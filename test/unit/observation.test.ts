import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import type {EndpointStatus, MemberInfo, MemberList} from '../../source/etcd/types.js';
import {deriveView, type Probe} from '../../source/model/cluster-view.js';
import {leaderOf} from '../../source/model/leader.js';
import {findMember, isStarted, normalizeMemberId} from '../../source/model/members.js';
import {memberListSource, observedLeader} from '../../source/model/observation.js';
import {observeCluster, type ObservingClient} from '../../source/route/observe.js';

const member = (id: string, name: string, port: number, patch: Partial<MemberInfo> = {}): MemberInfo => ({
	id,
	name,
	peerUrls: [`http://10.0.0.${port}:2380`],
	clientUrls: name === '' ? [] : [`http://10.0.0.${port}:2379`],
	isLearner: false,
	...patch,
});

const status = (memberId: string, leader: string, raftTerm: number, patch: Partial<EndpointStatus> = {}): EndpointStatus => ({
	clusterId: 'ff',
	memberId,
	revision: 1,
	raftTerm,
	version: '3.4.23',
	dbSize: 1,
	dbSizeInUse: 1,
	leader,
	raftIndex: 10,
	raftAppliedIndex: 10,
	errors: [],
	alarms: [],
	isLearner: false,
	...patch,
});

describe('the one leader rule: what a majority of the answering members report at the highest term', () => {
	const cases: Array<[string, Array<[string, number]>, string | undefined]> = [
		['every member names the leader', [['a', 5], ['a', 5], ['a', 5]], 'a'],
		['one member dead: the other two still agree', [['a', 5], ['a', 5]], 'a'],
		['only one answers: its word is all there is', [['a', 5]], 'a'],
		['nobody names a leader (election under way)', [['0', 6], ['0', 6], ['0', 6]], undefined],
		['no answers', [], undefined],
		// "highest term" alone said no leader here: one partitioned candidate bumped its term.
		['a partitioned candidate at a higher term does not hide a working leader', [['a', 5], ['a', 5], ['0', 9]], 'a'],
		// "most named" alone said "a" here: the majority moved on to a new election.
		['members that moved on to a new election outvote a stale report', [['a', 5], ['0', 6], ['0', 6]], undefined],
		['a deposed leader that still names itself loses to the new term', [['a', 5], ['b', 6], ['b', 6]], 'b'],
		// "most named" alone said "k" here: stale members at an older term do not vote.
		['lagging members at an older term do not vote', [['l', 7], ['l', 7], ['k', 6], ['k', 6], ['k', 6]], 'l'],
		['a leader named by only one of the members at its term is not confirmed yet (the others have not heard from it)', [['b', 6], ['0', 6], ['a', 5]], undefined],
	];
	for (const [what, reports, expected] of cases) {
		it(what, () => {
			assert.equal(leaderOf(reports.map(([leader, raftTerm]) => ({leader, raftTerm}))), expected);
		});
	}

	it('the console and the workflows use the same rule', () => {
		const members = [member('a', 'etcd-1', 1), member('b', 'etcd-2', 2), member('c', 'etcd-3', 3)];
		const statuses = {a: status('a', 'a', 5), b: status('b', 'a', 5), c: status('c', '0', 9)};
		assert.equal(observedLeader({members, statuses}), 'a');
		const list: MemberList = {clusterId: 'ff', memberId: 'a', members};
		const probes: Record<string, Probe> = Object.fromEntries(members.map(m => [m.clientUrls[0]!, {state: 'ok', at: 1, latencyMs: 1, status: statuses[m.id as 'a' | 'b' | 'c']} as Probe]));
		const view = deriveView({endpoints: [members[0]!.clientUrls[0]!], isDiscovering: true, memberList: list, probes, history: {}, metrics: {}});
		assert.equal(view.leader?.id, 'a');
		assert.equal(view.members.find(row => row.isLeader)?.name, 'etcd-1');
		// A leader outside the member list (another cluster's answer) is no leader of this one.
		assert.equal(observedLeader({members, statuses: {a: status('a', 'f00', 5)}}), undefined);
	});
});

describe('the one member lookup and the one started test', () => {
	const members = [member('8e9e05c52164694d', 'etcd-1', 1), member('91bc3c398fb3c146', 'etcd-2', 2), member('fd422379fda50e4', 'etcd-3', 3), member('a1', '', 4)];

	it('finds by name, or by hex ID however it is written (0x, upper case, leading zeros)', () => {
		assert.equal(findMember(members, 'etcd-2'), members[1]);
		assert.equal(findMember(members, ' etcd-2 '), members[1]);
		assert.equal(findMember(members, '8E9E05C52164694D'), members[0]);
		assert.equal(findMember(members, '0x91bc3c398fb3c146'), members[1]);
		// etcdctl prints IDs without leading zeros; a 16-digit copy from elsewhere has them.
		assert.equal(findMember(members, '0fd422379fda50e4'), members[2]);
		assert.equal(findMember(members, '0x0000a1'), members[3]);
		assert.equal(findMember(members, 'etcd-9'), undefined);
		assert.equal(findMember(members, ''), undefined, 'an unstarted member\'s empty name matches nothing');
	});

	it('an ID wins over a name; a shared name is ambiguous; exclude skips one member', () => {
		const named = [member('b2', 'a1', 5), ...members];
		assert.equal(findMember(named, 'a1'), members[3], 'the member whose ID is a1');
		const twins = [...members, member('c3', 'etcd-2', 6)];
		assert.equal(findMember(twins, 'etcd-2'), 'ambiguous');
		assert.equal(findMember(twins, 'etcd-2', twins[4]), members[1]);
	});

	it('normalizes IDs and refuses what is not hex', () => {
		assert.equal(normalizeMemberId('0x00AB'), 'ab');
		assert.equal(normalizeMemberId('0'), '0');
		assert.equal(normalizeMemberId('etcd-1'), undefined);
	});

	it('started: etcd fills in name and client URLs together when a member first starts', () => {
		assert.equal(isStarted(member('a1', 'etcd-1', 1)), true);
		assert.equal(isStarted(member('a1', '', 1)), false);
		assert.equal(isStarted({name: '', clientUrls: ['http://10.0.0.1:2379']}), true);
	});
});

/** Members behind endpoints: `answers` maps an endpoint to the member that answers there, or an error. */
function fakeClients(list: MemberList, answers: Record<string, string | Error>) {
	const asked: string[] = [];
	const clientFor = (endpoint: string): ObservingClient => ({
		memberList: async () => {
			asked.push(`list ${endpoint}`);
			const answer = answers[endpoint];
			if (answer === undefined || answer instanceof Error) throw answer ?? Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), {code: 14});
			return list;
		},
		status: async () => {
			asked.push(`status ${endpoint}`);
			const answer = answers[endpoint];
			if (answer === undefined || answer instanceof Error) throw answer ?? Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), {code: 14});
			return status(answer, 'a', 2);
		},
	});
	return {clientFor, asked};
}

describe('the one observation: the member list, then every member\'s status', () => {
	const members = [member('a', 'etcd-1', 1), member('b', 'etcd-2', 2), member('c', 'etcd-3', 3), member('d', '', 4)];
	const list: MemberList = {clusterId: 'ff', memberId: 'a', members};
	const options = {listTimeoutMs: 100, statusTimeoutMs: 100, now: () => 42};

	it('a status belongs to the member whose ID it carries, wherever it was asked (a configured name the member does not advertise)', async () => {
		const {clientFor} = fakeClients(list, {'http://lb.example:2379': 'b', 'http://10.0.0.1:2379': 'a', 'http://10.0.0.3:2379': 'a'});
		const result = await observeCluster(clientFor, {...options, seeds: ['http://lb.example:2379']});
		assert.equal(result.kind, 'observed');
		if (result.kind !== 'observed') return;
		const {reading} = result;
		assert.equal(reading.at, 42);
		assert.deepEqual(Object.keys(reading.statuses).sort(), ['a', 'b']);
		assert.equal(reading.endpoints['b'], 'http://lb.example:2379', 'the seed answered as etcd-2, whose own URL is unreachable');
		assert.equal(reading.endpoints['a'], 'http://10.0.0.1:2379');
		assert.equal(reading.failures['b'], undefined);
		assert.equal(reading.failures['c'], 'http://10.0.0.3:2379 answers as member a');
		assert.equal(reading.failures['d'], 'not started');
		assert.equal(reading.probes.length, 4, 'the seed and every started member\'s URL');
	});

	it('without discovery only the seeds are probed', async () => {
		const {clientFor, asked} = fakeClients(list, {'http://10.0.0.1:2379': 'a'});
		const result = await observeCluster(clientFor, {...options, seeds: ['http://10.0.0.1:2379'], isDiscovering: false});
		assert.equal(result.kind, 'observed');
		assert.deepEqual(asked.filter(call => call.startsWith('status')), ['status http://10.0.0.1:2379']);
		if (result.kind === 'observed') assert.equal(result.reading.failures['b'], 'not among the watched endpoints');
	});

	it('the list comes from the known members when every seed is gone; no list says what each endpoint answered', async () => {
		const {clientFor} = fakeClients(list, {'http://10.0.0.2:2379': 'b'});
		const known = await observeCluster(clientFor, {...options, seeds: ['http://10.0.0.9:2379'], known: members});
		assert.equal(known.kind, 'observed');
		const none = await observeCluster(fakeClients(list, {}).clientFor, {...options, seeds: ['http://10.0.0.9:2379', 'http://10.0.0.8:2379']});
		assert.equal(none.kind, 'no-member-list');
		if (none.kind !== 'no-member-list') return;
		assert.match(none.message, /^http:\/\/10\.0\.0\.9:2379: connect ECONNREFUSED; http:\/\/10\.0\.0\.8:2379: connect ECONNREFUSED$/);
		assert.deepEqual(none.probes.map(probe => probe.endpoint), ['http://10.0.0.9:2379', 'http://10.0.0.8:2379']);
		for (const probe of none.probes) assert.match(probe.failure!, /ECONNREFUSED/);
	});

	it('one endpoint that never answers delays only itself: the first list wins', async () => {
		const {clientFor} = fakeClients(list, {'http://10.0.0.1:2379': 'a'});
		const hung = (endpoint: string): ObservingClient => (endpoint === 'http://10.0.0.7:2379' ? {memberList: async () => new Promise<MemberList>(() => undefined), status: async () => Promise.reject(new Error('DEADLINE_EXCEEDED'))} : clientFor(endpoint));
		const result = await observeCluster(hung, {...options, seeds: ['http://10.0.0.7:2379', 'http://10.0.0.1:2379']});
		assert.equal(result.kind, 'observed');
	});
});

describe('how a member list was read, in words: a decision rests on a linearizable one, anything else may be stale', () => {
	const members = [member('a', 'etcd-1', 1), member('b', 'etcd-2', 2)];
	const endpoint = members[1]!.clientUrls[0]!;
	it('asked through raft of a 3.5 member: the cluster\'s current list', () => {
		const source = memberListSource({endpoint, isLinearizable: true}, members, {b: status('b', 'a', 5, {version: '3.5.30'})});
		assert.deepEqual(source, {name: 'etcd-2', isLinearizable: true, text: 'member list read from etcd-2 (linearizable: the cluster\'s current list)'});
	});
	it('asked of a 3.4 member, whose member list is serializable only: read after a linearizable read through it, the cluster\'s current list', () => {
		const source = memberListSource({endpoint, isLinearizable: true}, members, {b: status('b', 'a', 5)});
		assert.equal(source?.isLinearizable, true);
		assert.equal(source?.text, 'member list read from etcd-2 (etcd 3.4.23: after a linearizable read through it): the cluster\'s current list');
	});
	it('a serializable read (the console, a restore plan): may be stale; unknown without a source', () => {
		assert.equal(memberListSource({endpoint, isLinearizable: false}, members, {})?.text, 'member list read from etcd-2 (serializable): it may be stale');
		assert.equal(memberListSource(undefined, members, {}), undefined);
	});
	it('the one observation records which endpoint gave the list and how it was asked', async () => {
		const client = (url: string): ObservingClient => ({
			memberList: async (_timeoutMs, options = {}) => {
				if (url !== endpoint) throw new Error('14 UNAVAILABLE: connect ECONNREFUSED');
				return {clusterId: 'ff', members, isLinearizable: options.isLinearizable} as unknown as MemberList;
			},
			status: async () => status('b', 'b', 5, {version: '3.5.30'}),
		});
		const result = await observeCluster(client, {seeds: members.flatMap(one => one.clientUrls), isLinearizable: true, listTimeoutMs: 100, statusTimeoutMs: 100});
		assert.equal(result.kind, 'observed');
		assert.deepEqual(result.kind === 'observed' && result.reading.listFrom, {endpoint, isLinearizable: true});
	});
});
