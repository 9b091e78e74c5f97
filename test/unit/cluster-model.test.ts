import assert from 'node:assert/strict';
import {test} from 'node:test';
import {failuresTolerated, quorumOf} from '../../source/model/quorum.js';
import {watchedEndpoints} from '../../source/model/cluster-view.js';
import {pushSample, writeRates} from '../../source/model/history.js';
import {humanBytes} from '../../source/model/format.js';
import {describeStatusError, memberStateOf} from '../../source/model/member-state.js';
import {ClusterBuilder, followerIndex, leaderId, leaderIndex} from '../helpers/cluster-builder.js';
import {cluster3} from '../helpers/fixtures.js';

test('quorum maths', () => {
	const table: Array<[voters: number, quorum: number]> = [
		[1, 1],
		[2, 2],
		[3, 2],
		[4, 3],
		[5, 3],
		[6, 4],
		[7, 4],
	];
	for (const [voters, quorum] of table) assert.equal(quorumOf(voters), quorum, `${voters} voters`);
	assert.equal(failuresTolerated(3, 3), 1);
	assert.equal(failuresTolerated(3, 2), 0);
	assert.equal(failuresTolerated(3, 1), 0);
	assert.equal(failuresTolerated(5, 5), 2);
	assert.equal(failuresTolerated(2, 2), 0);
});

test('a healthy cluster: leader, counts and IDs from the real answers', () => {
	const {view} = new ClusterBuilder().list().allOk().state;
	assert.equal(view.health, 'healthy');
	assert.deepEqual(view.reasons, []);
	assert.equal(view.id, cluster3.memberList.clusterId);
	assert.equal(view.leader?.id, leaderId);
	assert.equal(view.voters, 3);
	assert.equal(view.reachableVoters, 3);
	assert.equal(view.quorum, 2);
	assert.equal(view.tolerance, 1);
	assert.deepEqual(view.members.map(member => member.name), ['etcd-1', 'etcd-2', 'etcd-3']);
	assert.equal(view.members.filter(member => member.isLeader).length, 1);
});

test('one member down: degraded, with the kind in the reason', () => {
	const {view} = new ClusterBuilder().list().allOk().tick().fail(followerIndex, {kind: 'timeout', message: 'Deadline exceeded'}).state;
	assert.equal(view.health, 'degraded');
	assert.equal(view.reachableVoters, 2);
	assert.equal(view.tolerance, 0);
	assert.match(view.reasons.join(), /unreachable \(timeout\)/);
	const down = view.members.find(member => member.health === 'unreachable')!;
	assert.equal(down.failure?.kind, 'timeout');
	assert.equal(down.lastOkAt, new ClusterBuilder().at);
});

test('two of three down: no quorum', () => {
	const builder = new ClusterBuilder().list().allOk().tick();
	const others = [0, 1, 2].filter(index => index !== leaderIndex);
	for (const index of others) builder.fail(index, {kind: 'refused', message: 'connect ECONNREFUSED'});
	assert.equal(builder.state.view.health, 'no-quorum');
	assert.match(builder.state.view.reasons[0]!, /1 of 3 voters reachable, quorum needs 2/);
});

test('nobody answers: unreachable', () => {
	const builder = new ClusterBuilder();
	for (const index of [0, 1, 2]) builder.fail(index, {kind: 'refused', message: 'x'});
	assert.equal(builder.state.view.health, 'unreachable');
});

test('members not heard from yet are unknown, not down: connecting, never no-quorum or unreachable', () => {
	const none = new ClusterBuilder().list().state.view;
	assert.equal(none.health, 'connecting');
	assert.equal(none.pendingVoters, 3);
	const one = new ClusterBuilder().list().ok(leaderIndex).state.view;
	assert.equal(one.health, 'connecting', '1 of 3 answered: quorum is not known yet');
	assert.equal(one.reachableVoters, 1);
	assert.equal(one.pendingVoters, 2);
	const two = new ClusterBuilder().list().ok(0).ok(1).state.view;
	assert.equal(two.health, 'connecting', 'quorum, but the third is not known yet');
	assert.match(two.reasons.join(), /not answered yet/);
	// Two refused and one not heard from: no answer can bring quorum back.
	const lost = new ClusterBuilder().list();
	for (const index of [0, 1, 2].filter(index => index !== leaderIndex)) lost.fail(index, {kind: 'refused', message: 'x'});
	assert.equal(lost.state.view.health, 'no-quorum');
	// Failures of members already down still show at once.
	const down = new ClusterBuilder().list().ok(0).ok(1).fail(2, {kind: 'refused', message: 'x'}).state.view;
	assert.equal(down.health, 'degraded');
	// No FAIL event for a member that only has not answered yet.
	assert.deepEqual(new ClusterBuilder().list().ok(leaderIndex).state.events, []);
});

test('without a member list the endpoints are not the voters: the view says it is unknown', () => {
	const builder = new ClusterBuilder([cluster3.endpoints[0]!]);
	builder.apply({type: 'member-list-failed', at: builder.at, failure: {kind: 'refused', message: 'connect ECONNREFUSED'}});
	builder.fail(0, {kind: 'refused', message: 'connect ECONNREFUSED'});
	const {view} = builder.state;
	assert.equal(view.hasMemberList, false);
	assert.match(view.reasons.join(), /member list unknown \(refused\)/);
});

test('a member\'s state word reflects its own errors and alarms', () => {
	const alarm = {memberId: cluster3.statuses[followerIndex]!.memberId, alarm: 'NOSPACE' as const};
	const decimal = BigInt(`0x${alarm.memberId}`).toString(10);
	const builder = new ClusterBuilder().list().withAlarms([alarm]).allOk({errors: [`memberID:${decimal} alarm:NOSPACE`]});
	const words = Object.fromEntries(builder.state.view.members.map(member => [member.id, memberStateOf(member).word]));
	assert.equal(words[alarm.memberId], 'NOSPACE');
	for (const [id, word] of Object.entries(words)) if (id !== alarm.memberId) assert.equal(word, 'ok', 'another member\'s alarm is not this one\'s');
	const leaderless = new ClusterBuilder().list().allOk().tick().ok(followerIndex, {errors: ['etcdserver: no leader']}).state.view;
	const row = leaderless.members.find(member => member.id === cluster3.statuses[followerIndex]!.memberId)!;
	assert.equal(memberStateOf(row).word, 'no-leader');
	assert.equal(memberStateOf(row).tone, 'bad');
	assert.equal(leaderless.health, 'no-leader');
	assert.match(leaderless.reasons[0]!, /etcd-\d reports no leader/);
	assert.deepEqual(memberStateOf({health: 'ok', failure: undefined, alarms: [], status: {...cluster3.statuses[0]!, errors: ['etcdserver: something else']}}), {word: 'errors', tone: 'warn'});
});

test('etcd\'s decimal member IDs in error texts read as names, else hex', () => {
	const names: Record<string, string> = {[BigInt('9845148300411046929').toString(16)]: 'etcd-2'};
	assert.equal(describeStatusError('memberID:9845148300411046929 alarm:NOSPACE', id => names[id]), 'alarm NOSPACE on etcd-2');
	assert.equal(describeStatusError('memberID:12345678 alarm:CORRUPT', () => undefined), 'alarm CORRUPT on bc614e');
	assert.equal(describeStatusError('etcdserver: no leader', () => undefined), 'etcdserver: no leader');
});

test('no leader reported', () => {
	const {view} = new ClusterBuilder().list().allOk({leader: '0'}).state;
	assert.equal(view.health, 'no-leader');
	assert.equal(view.leader, undefined);
});

test('a member list from a member that reports no leader is said to be possibly stale; from a member with a leader nothing is said', () => {
	const from = cluster3.endpoints[followerIndex]!;
	const listed = (patch: Parameters<ClusterBuilder['ok']>[1]) =>
		new ClusterBuilder().apply({type: 'member-list-fetched', at: 0, list: cluster3.memberList, from}).allOk().ok(followerIndex, patch).state.view;
	const cutOff = listed({errors: ['etcdserver: no leader']});
	const name = cluster3.memberList.members.find(member => member.clientUrls.includes(from))!.name;
	assert.ok(cutOff.reasons.includes(`member list read from ${name} (serializable), which reports no leader: it may be stale`), cutOff.reasons.join('\n'));
	assert.ok(!listed({}).reasons.some(reason => /member list read from/.test(reason)));
});

test('an alarm outranks degraded, names itself, and sits on the member that raised it only', () => {
	const alarm = {memberId: cluster3.statuses[0]!.memberId, alarm: 'NOSPACE' as const};
	// Every member reports the cluster's alarms, whoever raised them.
	const {view} = new ClusterBuilder().list().withAlarms([alarm]).allOk().state;
	assert.equal(view.health, 'alarm');
	assert.match(view.reasons[0]!, /NOSPACE/);
	assert.deepEqual(view.alarms, [alarm]);
	for (const member of view.members) assert.deepEqual(member.alarms, member.id === alarm.memberId ? ['NOSPACE'] : [], member.name);
});

test('an alarm stays while any answering member still reports it', () => {
	const alarm = {memberId: cluster3.statuses[0]!.memberId, alarm: 'NOSPACE' as const};
	const builder = new ClusterBuilder().list().withAlarms([alarm]).allOk().tick().withAlarms([]).ok(0).ok(1);
	assert.equal(builder.state.view.health, 'alarm', 'one member has not applied the disarm yet');
	builder.ok(2);
	assert.equal(builder.state.view.health, 'healthy');
});

test('members disagreeing on the leader is degraded', () => {
	const builder = new ClusterBuilder().list().allOk();
	builder.ok(followerIndex, {leader: cluster3.statuses[followerIndex]!.memberId});
	assert.equal(builder.state.view.health, 'degraded');
	assert.match(builder.state.view.reasons.join(), /disagree/);
});

test('an added, unstarted member shows as unstarted and counts as a voter', () => {
	const unstarted = {id: 'abc123', name: '', peerUrls: ['http://127.0.0.1:1'], clientUrls: [], isLearner: false};
	const {view} = new ClusterBuilder().list([...cluster3.memberList.members, unstarted]).allOk().state;
	assert.equal(view.voters, 4);
	assert.equal(view.quorum, 3);
	assert.equal(view.members.find(member => member.id === 'abc123')?.health, 'unstarted');
	assert.equal(view.health, 'degraded');
});

test('a learner does not count toward quorum', () => {
	const learner = {id: 'abc124', name: 'etcd-4', peerUrls: ['http://127.0.0.1:2'], clientUrls: ['http://127.0.0.1:3'], isLearner: true};
	const {view} = new ClusterBuilder().list([...cluster3.memberList.members, learner]).allOk().state;
	assert.equal(view.voters, 3);
	assert.equal(view.learners, 1);
	assert.equal(view.members.find(member => member.id === 'abc124')?.isLearner, true);
});

test('discovery watches every started member; --no-discover only the given endpoints', () => {
	const list = cluster3.memberList;
	assert.deepEqual(new Set(watchedEndpoints({endpoints: ['http://x:1'], isDiscovering: true, memberList: list})), new Set(cluster3.endpoints));
	assert.deepEqual(watchedEndpoints({endpoints: ['http://x:1'], isDiscovering: false, memberList: list}), ['http://x:1']);
	assert.deepEqual(watchedEndpoints({endpoints: ['http://x:1'], isDiscovering: true, memberList: undefined}), ['http://x:1']);
});

test('history rings are bounded and give write rates: revisions per second, not raft entries', () => {
	let ring = pushSample(undefined, {at: 0, raftIndex: 10, revision: 5, dbSize: 1, latencyMs: 1}, 3);
	ring = pushSample(ring, {at: 1000, raftIndex: 20, revision: 15, dbSize: 1, latencyMs: 1}, 3);
	ring = pushSample(ring, {at: 3000, raftIndex: 40, revision: 35, dbSize: 1, latencyMs: 1}, 3);
	// NOSPACE: every put is refused, yet each refusal (and a lease renewal, an auth token) is a raft entry.
	ring = pushSample(ring, {at: 4000, raftIndex: 90, revision: 35, dbSize: 1, latencyMs: 1}, 3);
	assert.equal(ring.length, 3);
	assert.deepEqual(writeRates(ring), [10, 0]);
	assert.ok(Object.isFrozen(ring));
});

test('sizes print like etcdctl (go-humanize SI)', () => {
	const table: Array<[number, string]> = [
		[0, '0 B'],
		[9, '9 B'],
		[20_480, '20 kB'],
		[16_384, '16 kB'],
		[1_500_000, '1.5 MB'],
		[25_000_000, '25 MB'],
		[2_147_483_648, '2.1 GB'],
	];
	for (const [bytes, text] of table) assert.equal(humanBytes(bytes), text);
});

test('a member the console added shows under the name it was added under until etcd reports one', () => {
	const unstarted = {id: 'd4', name: '', peerUrls: ['http://10.0.0.4:2380'], clientUrls: [], isLearner: true};
	const builder = new ClusterBuilder().list([...cluster3.memberList.members, unstarted]).allOk();
	assert.equal(builder.state.view.members.find(member => member.id === 'd4')?.name, '');
	builder.apply({type: 'member-named', at: builder.at, id: 'd4', name: 'etcd-4'});
	const row = builder.state.view.members.find(member => member.id === 'd4');
	assert.equal(row?.name, 'etcd-4');
	assert.equal(row?.health, 'unstarted');
	assert.ok(builder.state.view.reasons.includes('etcd-4 added but not started'), builder.state.view.reasons.join('; '));
	// Once it starts, etcd's own name is the one shown.
	builder.tick().list([...cluster3.memberList.members, {...unstarted, name: 'etcd-4b', clientUrls: ['http://10.0.0.4:2379']}]);
	assert.equal(builder.state.view.members.find(member => member.id === 'd4')?.name, 'etcd-4b');
});
