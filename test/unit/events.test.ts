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
	assert.deepEqual(types(builder), ['member-down', 'leader-changed', 'term-changed']);
	assert.match(builder.state.events[1]!.text, /leader changed: etcd-\d -> etcd-\d \(term \d+\)/);
});

test('alarms raised and cleared; members added and removed', () => {
	const alarm = {memberId: cluster3.statuses[0]!.memberId, alarm: 'NOSPACE' as const};
	const builder = new ClusterBuilder().list().allOk().tick().withAlarms([alarm]).allOk().tick().withAlarms([]).allOk();
	assert.deepEqual(types(builder), ['alarm-raised', 'alarm-cleared']);
	const extra = {id: 'ff01', name: '', peerUrls: ['http://127.0.0.1:9'], clientUrls: [], isLearner: true};
	builder.tick().list([...cluster3.memberList.members, extra]).tick().list();
	assert.deepEqual(types(builder).slice(2), ['member-added', 'member-removed']);
});
