import assert from 'node:assert/strict';
import {test} from 'node:test';
import {initialState, type OperationPlan} from '../../source/ops/member-workflow.js';
import {runOperation, type CommandLogEntry} from '../../source/ops/member-run.js';
import {fakeMember, FakeMembers} from '../helpers/fake-members.js';

function plan(patch: Partial<OperationPlan> = {}): OperationPlan {
	return {kind: 'replace', target: 'etcd-3', newName: 'etcd-4', newPeerUrls: ['http://fake:4000'], newClientUrls: ['http://fake:4001'], isLearner: true, startCommand: 'start-etcd', isPreConfirmed: false, waitTimeoutMs: 60_000, maxPromoteAttempts: 10, connection: {endpoints: ['http://fake:1001']}, ...patch};
}

test('the runner drives a replacement through io: every change once, logged with its etcdctl line', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)], 3);
	cluster.down.add('c3');
	const log: CommandLogEntry[] = [];
	const confirms: string[] = [];
	const final = await runOperation(initialState(plan()), cluster.io({log: entry => log.push(entry), confirm: async effect => (confirms.push(effect.expected), true)}));
	assert.equal(final.outcome?.type, 'done', final.notes.join('\n'));
	assert.deepEqual(confirms, ['etcd-3']);
	assert.deepEqual(cluster.calls, ['remove c3', 'add http://fake:4000 learner', 'start etcd-4', 'promote d4']);
	assert.deepEqual(
		log.map(entry => `${entry.step}: ${entry.result}`),
		['assess: 3 members, 2 answering; member list read from etcd-1 (etcd 3.4.23: after a linearizable read through it): the cluster\'s current list', 'remove: ok', 'add: ok: member d4', 'start: exit 0', 'promote: not yet: etcdserver: can only promote a learner member which is in sync with leader', 'promote: not yet: etcdserver: can only promote a learner member which is in sync with leader', 'promote: ok'],
	);
	assert.match(log[1]!.command, /^etcdctl --endpoints=http:\/\/fake:1001 member remove c3$/);
});

test('the leader is moved away before it is removed, through the leader itself', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)]);
	const final = await runOperation(initialState(plan({kind: 'remove', target: 'etcd-1', isPreConfirmed: true})), cluster.io());
	assert.equal(final.outcome?.type, 'done', final.notes.join('\n'));
	assert.deepEqual(cluster.calls, ['move-leader b2', 'remove a1']);
});

test('an abort stops before the next step', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)]);
	cluster.down.add('c3');
	const controller = new AbortController();
	const final = await runOperation(initialState(plan()), cluster.io({signal: controller.signal, confirm: async () => (controller.abort(), true)}));
	assert.equal(final.outcome?.type, 'cancelled');
	assert.deepEqual(cluster.calls, []);
});

test('right after the leader died the survivors still name it: the removal waits out the election, then goes to the new leader once', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)], 1);
	cluster.leader = 'c3';
	cluster.down.add('c3');
	// The list answers (a leader etcdtop alone cannot reach; 3.4's serializable list before the read index
	// barrier); the survivors name the dead leader, and a change fails, until they elect b2.
	cluster.election = {until: 1300, leader: 'b2'};
	cluster.isListAnsweredInElection = true;
	const results: string[] = [];
	const final = await runOperation(initialState(plan({isPreConfirmed: true, startCommand: undefined, kind: 'remove'})), cluster.io({log: entry => results.push(`${entry.step} ${entry.result}`)}));
	assert.equal(final.outcome?.type, 'done', final.notes.join('\n'));
	assert.deepEqual(cluster.calls, ['remove c3'], 'one removal, never one sent while nobody leads');
	assert.deepEqual(results, [
		'assess 3 members, 2 answering; member list read from etcd-1 (etcd 3.4.23: after a linearizable read through it): the cluster\'s current list',
		'assess waited 1.4s for an election (no member names a leader that answers); etcd-2 (b2) leads',
		'remove ok',
	]);
	assert.ok(final.notes.includes('no leader (no member names a leader that answers): waiting up to 3.0s for an election'), final.notes.join('\n'));
});

test('replacing a dead leader on etcd 3.5: the linearizable list answers "leader changed" until the election is over; then remove, add', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)], 1);
	cluster.leader = 'a1';
	cluster.down.add('a1');
	cluster.election = {until: 900, leader: 'c3'};
	const log: CommandLogEntry[] = [];
	const final = await runOperation(initialState(plan({isPreConfirmed: true, target: 'etcd-1'})), cluster.io({log: entry => log.push(entry)}));
	assert.equal(final.outcome?.type, 'done', final.notes.join('\n'));
	assert.deepEqual(cluster.calls, ['remove a1', 'add http://fake:4000 learner', 'start etcd-4', 'promote d4']);
	assert.ok(final.notes.some(line => /^no leader \(.*leader changed.*\): waiting up to 3\.0s for an election$/.test(line)), final.notes.join('\n'));
	assert.ok(!final.notes.some(line => /no member answered the member list/.test(line)), final.notes.join('\n'));
	assert.match(log.find(entry => /waited/.test(entry.result))?.result ?? '', /waited 1\.\ds for an election .*; etcd-3 \(c3\) leads/);
});

test('no leader within the election wait: refused as "no leader", never "no member answered", and nothing changed', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)], 1);
	cluster.leader = 'c3';
	cluster.down.add('c3');
	cluster.election = {until: 60_000, leader: 'b2'};
	const final = await runOperation(initialState(plan({isPreConfirmed: true, startCommand: undefined, kind: 'remove'})), cluster.io());
	assert.equal(final.outcome?.type, 'refused', final.notes.join('\n'));
	assert.match(final.outcome!.message, /^the cluster has no leader: still no leader after waiting 3\.\ds for an election \(.*leader changed.*\); nothing was changed$/);
	assert.deepEqual(cluster.calls, []);
	assert.ok(cluster.clock >= 3000 && cluster.clock < 5000, `bounded: ${cluster.clock} ms`);
});

test('a list that answers while no leader does: past the election wait the change goes ahead, and fails as etcd answers, bounded', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)], 1);
	cluster.leader = 'c3';
	cluster.down.add('c3');
	cluster.election = {until: 60_000, leader: 'b2'};
	cluster.isListAnsweredInElection = true;
	const final = await runOperation(initialState(plan({isPreConfirmed: true, startCommand: undefined, kind: 'remove'})), cluster.io());
	assert.equal(final.outcome?.type, 'failed', final.notes.join('\n'));
	assert.match(final.outcome!.message, /remove-member failed 3 times: etcdserver: no leader/);
	assert.ok(final.notes.some(line => /^still no leader after waiting 3\.\ds for an election .*; going ahead$/.test(line)), final.notes.join('\n'));
	assert.ok(cluster.clock < 10_000, `bounded: ${cluster.clock} ms`);
});

test('the start command is logged as it ran on the host, and as declared when it could not run', async () => {
	const ran = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)]);
	ran.down.add('c3');
	const log: CommandLogEntry[] = [];
	await runOperation(initialState(plan({isPreConfirmed: true})), ran.io({log: entry => log.push(entry)}));
	assert.deepEqual(log.filter(entry => entry.step === 'start').map(entry => `${entry.command} # ${entry.result}`), ['ssh fake sh -c start # exit 0']);

	const broken = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)]);
	broken.down.add('c3');
	const failedLog: CommandLogEntry[] = [];
	const final = await runOperation(
		initialState(plan({isPreConfirmed: true, waitTimeoutMs: 1000})),
		broken.io({log: entry => failedLog.push(entry), runStart: async () => Promise.reject(new Error('ssh: connect ECONNREFUSED 10.0.0.4:22'))}),
	);
	assert.equal(final.outcome?.type, 'failed', final.notes.join('\n'));
	// Tried three times (the member may have started anyway: each try re-reads the cluster first), each logged.
	assert.deepEqual(failedLog.filter(entry => entry.step === 'start').map(entry => `${entry.command} # ${entry.result}`), Array(3).fill('sh -c start-etcd # failed: ssh: connect ECONNREFUSED 10.0.0.4:22'));
});

test('a confirmation that cannot be read cancels without a change', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)]);
	cluster.down.add('c3');
	const final = await runOperation(initialState(plan()), cluster.io({confirm: async () => Promise.reject(new Error('stdin closed'))}));
	assert.equal(final.outcome?.type, 'cancelled');
	assert.match(final.outcome?.message ?? '', /stdin closed/);
	assert.deepEqual(cluster.calls, []);
});

test('every member list a decision rests on is read linearizably (etcd 3.5+ answers through raft)', async () => {
	const cluster = new FakeMembers([fakeMember('a1', 'etcd-1', 1000), fakeMember('b2', 'etcd-2', 2000), fakeMember('c3', 'etcd-3', 3000)], 3);
	cluster.down.add('c3');
	const final = await runOperation(initialState(plan()), cluster.io({log: () => undefined, confirm: async () => true}));
	assert.equal(final.outcome?.type, 'done', final.notes.join('\n'));
	assert.ok(cluster.memberListReads.length > 0);
	assert.deepEqual([...new Set(cluster.memberListReads)], ['linearizable']);
	// The new member is a learner until promoted: etcd would refuse it the member list, so it is never asked.
	assert.deepEqual(cluster.learnerCalls, []);
});
