import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ClusterBuilder, followerIndex, leaderIndex} from '../helpers/cluster-builder.js';
import {cluster3} from '../helpers/fixtures.js';

const types = (builder: ClusterBuilder) => builder.state.events.map(event => event.type);

test('the first answers log nothing; a member already down is logged', () => {
	const quiet = new ClusterBuilder().list().allOk();
	assert.deepEqual(types(quiet), []);
	const oneDown = new ClusterBuilder().list().ok(0).fail(1, {kind: 'refused', message: 'connect ECONNREFUSED'});
	assert.deepEqual(types(oneDown), ['member-down']);
	assert.match(oneDown.state.events[0]!.text, /refused/);
});

test('down, then up again', () => {
	const builder = new ClusterBuilder().list().allOk().tick().fail(followerIndex, {kind: 'timeout', message: 'x'});
	builder.tick().fail(followerIndex, {kind: 'timeout', message: 'x'});
	builder.tick().ok(followerIndex);
	assert.deepEqual(types(builder), ['member-down', 'member-up']);
	assert.equal(builder.state.events[0]!.severity, 'error');
});

test('a new leader and a new term', () => {
	const builder = new ClusterBuilder().list().allOk();
	const newLeader = cluster3.statuses[followerIndex]!.memberId;
	const term = cluster3.statuses[0]!.raftTerm + 1;
	builder.tick().fail(leaderIndex, {kind: 'refused', message: 'x'});
	for (const index of [0, 1, 2].filter(index => index !== leaderIndex)) builder.ok(index, {leader: newLeader, raftTerm: term});
	// The term rises first, then the election names its winner at that term.
	assert.deepEqual(types(builder), ['member-down', 'term-changed', 'leader-changed']);
	assert.equal(builder.state.events[1]!.text, `raft term ${term - 1} -> ${term}`);
	assert.match(builder.state.events[2]!.text, new RegExp(`leader changed: etcd-\\d -> etcd-\\d \\(term ${term}\\)`));
});

test('an election after a long partition: "raft term 3 -> 33" comes before the leader it elected, which leads at term 33', () => {
	const builder = new ClusterBuilder().list().allOk({raftTerm: 3});
	// Every member lost the leader at term 3 (no leader named), then one is elected at term 33.
	builder.tick().allOk({leader: '0', raftTerm: 3});
	const winner = cluster3.statuses[followerIndex]!.memberId;
	builder.tick().allOk({leader: winner, raftTerm: 33});
	const texts = builder.state.events.map(event => event.text);
	const elected = texts.findIndex(text => text.startsWith('leader elected'));
	assert.deepEqual(texts.slice(elected - 1), ['raft term 3 -> 33', `leader elected: ${cluster3.memberList.members.find(member => member.id === winner)!.name} (term 33)`]);
});

test('a changed cluster ID is one loud event and a header alert, not members added and removed', () => {
	const builder = new ClusterBuilder().list().allOk().tick();
	const other = cluster3.memberList.members.map((member, index) => ({...member, id: `dead${index}`}));
	builder.apply({type: 'member-list-fetched', at: builder.at, list: {clusterId: 'c0ffee', memberId: 'dead0', members: other}});
	const last = builder.state.events.filter(event => event.at === builder.at);
	assert.deepEqual(last.map(event => event.type), ['cluster-id-changed']);
	assert.equal(last[0]!.severity, 'error');
	assert.match(last[0]!.text, new RegExp(`cluster ID changed ${cluster3.memberList.clusterId} -> c0ffee at [\\d:]+ \\(the member list says so\\): another cluster answers, or it was restored from a snapshot`));
	assert.equal(builder.state.view.alerts.length, 1);
	// The same IDs again say nothing new.
	builder.tick().apply({type: 'member-list-fetched', at: builder.at, list: {clusterId: 'c0ffee', memberId: 'dead0', members: other}});
	assert.equal(builder.state.events.filter(event => event.type === 'cluster-id-changed').length, 1);
});

test('a member answering for another cluster raises the alert at once, before the member list is asked again', () => {
	const builder = new ClusterBuilder().list().allOk().tick().ok(followerIndex, {clusterId: 'c0ffee'});
	assert.deepEqual(types(builder), ['cluster-id-changed']);
	assert.match(builder.state.events[0]!.text, /etcd-\d says so/);
});

test('a raft term that goes back (a restore keeps the IDs) is a loud event and an alert; a rising one is not', () => {
	const builder = new ClusterBuilder().list().allOk({raftTerm: 33}).tick().allOk({raftTerm: 34});
	assert.deepEqual(types(builder), ['term-changed']);
	builder.tick().allOk({raftTerm: 2});
	const back = builder.state.events.filter(event => event.type === 'term-went-back');
	assert.equal(back.length, 3, 'one per member');
	assert.match(back[0]!.text, /raft term went back on etcd-\d: 34 -> 2 .*restore/);
	assert.equal(back[0]!.severity, 'error');
	assert.equal(builder.state.view.alerts.length, 3);
	builder.tick().allOk({raftTerm: 2});
	assert.equal(builder.state.events.filter(event => event.type === 'term-went-back').length, 3, 'said once');
});

test('alarms raised and cleared; members added and removed', () => {
	const alarm = {memberId: cluster3.statuses[0]!.memberId, alarm: 'NOSPACE' as const};
	const builder = new ClusterBuilder().list().allOk().tick().withAlarms([alarm]).allOk().tick().withAlarms([]).allOk();
	assert.deepEqual(types(builder), ['alarm-raised', 'alarm-cleared']);
	const extra = {id: 'ff01', name: '', peerUrls: ['http://127.0.0.1:9'], clientUrls: [], isLearner: true};
	builder.tick().list([...cluster3.memberList.members, extra]).tick().list();
	assert.deepEqual(types(builder).slice(2), ['member-added', 'member-removed']);
});
