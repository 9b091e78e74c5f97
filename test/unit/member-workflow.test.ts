import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import type {EndpointStatus, MemberInfo} from '../../source/etcd/types.js';
import {startSettings} from '../../source/ops/commands.js';
import {checkNewMember, normalizeMemberUrl, parseMemberUrls} from '../../source/ops/member-urls.js';
import {effectFor, initialState, reduce, type Effect, type Observation, type OperationEvent, type OperationPlan, type OperationState} from '../../source/ops/member-workflow.js';
import {guardAddition, guardRemoval} from '../../source/ops/quorum-guard.js';
import {catchUpText, waitingText} from '../../source/ops/member-settings.js';

const t0 = Date.parse('2026-11-22T12:00:00Z');

function member(id: string, name: string, port: number, patch: Partial<MemberInfo> = {}): MemberInfo {
	return {id, name, peerUrls: [`http://10.0.0.${port}:2380`], clientUrls: name === '' ? [] : [`http://10.0.0.${port}:2379`], isLearner: false, ...patch};
}

const m1 = member('a1', 'etcd-1', 1);
const m2 = member('b2', 'etcd-2', 2);
const m3 = member('c3', 'etcd-3', 3);
const newUnstarted: MemberInfo = {id: 'd4', name: '', peerUrls: ['http://10.0.0.4:2380'], clientUrls: [], isLearner: true};
const newLearner: MemberInfo = member('d4', 'etcd-4', 4, {isLearner: true});
const newVoter: MemberInfo = member('d4', 'etcd-4', 4);

function status(id: string, leader: string, applied: number, patch: Partial<EndpointStatus> = {}): EndpointStatus {
	return {clusterId: 'ff', memberId: id, revision: 10, raftTerm: 2, version: '3.4.23', dbSize: 1, dbSizeInUse: 1, leader, raftIndex: applied, raftAppliedIndex: applied, errors: [], alarms: [], isLearner: false, ...patch};
}

/** members + which of them answer (with leader and applied index). */
function observed(members: readonly MemberInfo[], answering: Record<string, number>, leader = 'a1', at = t0): OperationEvent {
	const statuses: Record<string, EndpointStatus> = {};
	const failures: Record<string, string> = {};
	const endpoints: Record<string, string> = {};
	for (const m of members) {
		const applied = answering[m.id];
		if (applied === undefined) failures[m.id] = 'refused: connection refused';
		else {
			statuses[m.id] = status(m.id, leader, applied, {isLearner: m.isLearner});
			if (m.clientUrls[0]) endpoints[m.id] = m.clientUrls[0];
		}
	}
	const observation: Observation = {at, members, statuses, endpoints, failures};
	return {type: 'observed', observation};
}

function plan(patch: Partial<OperationPlan> = {}): OperationPlan {
	return {
		kind: 'replace',
		target: 'etcd-3',
		newName: 'etcd-4',
		newPeerUrls: ['http://10.0.0.4:2380'],
		newClientUrls: ['http://10.0.0.4:2379'],
		isLearner: true,
		startCommand: 'systemctl start etcd',
		isPreConfirmed: false,
		waitTimeoutMs: 60_000,
		maxPromoteAttempts: 5,
		connection: {endpoints: ['http://10.0.0.1:2379']},
		...patch,
	};
}

function walk(state: OperationState, ...events: OperationEvent[]): OperationState {
	return events.reduce(reduce, state);
}

function effectType(state: OperationState): Effect['type'] | undefined {
	return effectFor(state)?.type;
}

const threeOneDown = observed([m1, m2, m3], {a1: 100, b2: 100});

describe('replace: the whole walk', () => {
	it('confirm, remove, add a learner, start over SSH, catch up, promote, verify', () => {
		let state = initialState(plan());
		assert.deepEqual(effectFor(state), {type: 'observe', delayMs: 0});
		state = reduce(state, threeOneDown);
		const confirm = effectFor(state);
		assert.equal(confirm?.type, 'confirm');
		assert.equal(confirm?.type === 'confirm' && confirm.expected, 'etcd-3');
		assert.match(confirm?.type === 'confirm' ? confirm.command : '', /^etcdctl --endpoints=http:\/\/10.0.0.1:2379 member remove c3$/);
		assert.deepEqual(state.numbers, {voters: 3, quorum: 2, reachableVoters: 2, tolerance: 0, votersAfter: 2, quorumAfter: 2, reachableVotersAfter: 2, toleranceAfter: 0});

		state = walk(state, {type: 'confirmed'}, threeOneDown);
		assert.equal(effectType(state), 'remove-member');
		state = walk(state, {type: 'member-removed', id: 'c3'}, observed([m1, m2], {a1: 101, b2: 101}));
		const add = effectFor(state);
		assert.equal(add?.type, 'add-member');
		assert.match(add?.type === 'add-member' ? add.command : '', /member add etcd-4 --peer-urls=http:\/\/10.0.0.4:2380 --learner$/);

		state = walk(state, {type: 'member-added', member: newUnstarted}, observed([m1, m2, newUnstarted], {a1: 102, b2: 102}));
		const start = effectFor(state);
		assert.equal(start?.type, 'run-start-command');
		if (start?.type !== 'run-start-command') return;
		assert.deepEqual(start.argv, ['sh', '-c', 'systemctl start etcd']);
		assert.equal(start.env['ETCD_NAME'], 'etcd-4');
		assert.equal(start.env['ETCD_INITIAL_CLUSTER'], 'etcd-1=http://10.0.0.1:2380,etcd-2=http://10.0.0.2:2380,etcd-4=http://10.0.0.4:2380');
		assert.equal(start.env['ETCD_INITIAL_CLUSTER_STATE'], 'existing');
		assert.equal(start.env['ETCD_INITIAL_ADVERTISE_PEER_URLS'], 'http://10.0.0.4:2380');
		assert.equal(state.step, 'start');

		state = walk(state, {type: 'start-command-finished', exitCode: 0, output: []}, observed([m1, m2, newUnstarted], {a1: 103, b2: 103}));
		assert.deepEqual(effectFor(state), {type: 'observe', delayMs: 250}, 'waits for the member to start, without running the command twice');

		state = reduce(state, observed([m1, m2, newLearner], {a1: 1000, b2: 1000, d4: 10}));
		assert.equal(state.step, 'catch-up');
		assert.deepEqual(state.catchUp, {leaderApplied: 1000, memberApplied: 10, lag: 990});
		assert.equal(effectType(state), 'observe');

		state = reduce(state, observed([m1, m2, newLearner], {a1: 1000, b2: 1000, d4: 950}));
		assert.equal(effectType(state), 'promote-member');
		state = walk(state, {type: 'promote-not-in-sync', message: 'can only promote a learner member which is in sync with leader'}, observed([m1, m2, newLearner], {a1: 1000, b2: 1000, d4: 999}));
		assert.equal(effectType(state), 'promote-member');
		state = walk(state, {type: 'promoted'}, observed([m1, m2, newVoter], {a1: 1001, b2: 1001}));
		assert.equal(state.step, 'verify');
		assert.equal(effectType(state), 'observe');
		state = reduce(state, observed([m1, m2, newVoter], {a1: 1001, b2: 1001, d4: 1001}));
		assert.equal(state.outcome?.type, 'done');
		assert.equal(state.etcdServers, 'http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.4:2379');
		assert.ok(state.notes.some(line => line.includes('--etcd-servers=http://10.0.0.1:2379')));
		assert.equal(effectFor(state), undefined);
	});

	it('--yes skips the typed confirmation, never the guard', () => {
		const state = reduce(initialState(plan({isPreConfirmed: true})), threeOneDown);
		assert.equal(effectType(state), 'remove-member');
		const refused = reduce(initialState(plan({isPreConfirmed: true, target: 'etcd-2'})), threeOneDown);
		assert.equal(refused.outcome?.type, 'refused');
	});

	it('a leader that is the target hands leadership to the most caught-up voter first', () => {
		const state = reduce(initialState(plan({isPreConfirmed: true, target: 'etcd-1'})), observed([m1, m2, m3], {a1: 100, b2: 90, c3: 99}));
		const effect = effectFor(state);
		assert.equal(effect?.type, 'move-leader');
		assert.equal(effect?.type === 'move-leader' && effect.to.id, 'c3');
		assert.match(effect?.type === 'move-leader' ? effect.command : '', /--endpoints=http:\/\/10.0.0.1:2379 move-leader c3$/);
		const after = walk(state, {type: 'leader-moved'}, observed([m1, m2, m3], {a1: 100, b2: 100, c3: 100}, 'c3'));
		assert.equal(effectType(after), 'remove-member');
	});

	it('a cancelled confirmation changes nothing', () => {
		const state = walk(initialState(plan()), threeOneDown, {type: 'cancelled'});
		assert.equal(state.outcome?.type, 'cancelled');
		assert.equal(effectFor(state), undefined);
	});
});

describe('replace: refusals', () => {
	const cases: ReadonlyArray<{name: string; plan: Partial<OperationPlan>; event: OperationEvent; pattern: RegExp; input?: string}> = [
		{name: 'a healthy member while another is down', plan: {target: 'etcd-2'}, event: threeOneDown, pattern: /leaves 1 reachable of 2 voters, below the new quorum of 2/},
		{name: 'the dead one of a 2-member cluster (no quorum to commit)', plan: {target: 'etcd-2'}, event: observed([m1, m2], {a1: 1}), pattern: /no quorum \(1 of 2 voters reachable, 2 needed\)/},
		{name: 'the live one of a 2-member cluster with the other down', plan: {target: 'etcd-1'}, event: observed([m1, m2], {a1: 1}), pattern: /no quorum/},
		{name: 'a duplicate name', plan: {newName: 'etcd-2'}, event: threeOneDown, pattern: /already named "etcd-2"/, input: '--new-name'},
		{name: 'a peer URL another member uses', plan: {newPeerUrls: ['http://10.0.0.2:2380']}, event: threeOneDown, pattern: /already used by member etcd-2/, input: '--new-peer-url'},
		{name: 'a client URL another member uses as peer URL', plan: {newClientUrls: ['http://10.0.0.1:2380']}, event: threeOneDown, pattern: /already used by member etcd-1/, input: '--new-client-url'},
		{name: 'a name etcd would not keep', plan: {newName: 'bad name'}, event: threeOneDown, pattern: /not a usable member name/, input: '--new-name'},
	];
	for (const testCase of cases) {
		it(testCase.name, () => {
			const state = reduce(initialState(plan({isPreConfirmed: true, ...testCase.plan})), testCase.event);
			assert.equal(state.outcome?.type, 'refused', state.notes.join('\n'));
			assert.match(state.outcome!.message, testCase.pattern);
			if (testCase.input) assert.equal(state.outcome?.type === 'refused' && state.outcome.problem?.input, testCase.input);
			assert.equal(effectFor(state), undefined);
		});
	}

	it('the reused peer URL of the member being replaced is fine', () => {
		const state = reduce(initialState(plan({isPreConfirmed: true, newPeerUrls: ['http://10.0.0.3:2380'], newClientUrls: []})), threeOneDown);
		assert.equal(effectType(state), 'remove-member');
	});
});

describe('replace: resume where the cluster stands', () => {
	it('the failed member already removed: add', () => {
		const state = reduce(initialState(plan()), observed([m1, m2], {a1: 1, b2: 1}));
		assert.equal(effectType(state), 'add-member');
		assert.match(state.notes.join('\n'), /not in the member list: taken as already removed/);
	});
	it('FAILED absent from a complete (odd) set of voters is a typo, not a removal', () => {
		const state = reduce(initialState(plan({target: 'etcd-33', inputs: {target: 'FAILED'}})), observed([m1, m2, m3], {a1: 1, b2: 1, c3: 1}));
		assert.equal(state.outcome?.type, 'refused');
		assert.equal(state.outcome?.type === 'refused' && state.outcome.problem?.input, 'FAILED');
		assert.match(state.outcome!.message, /3 voters look complete/);
	});
	it('added but not started: run the start command', () => {
		const state = reduce(initialState(plan()), observed([m1, m2, newUnstarted], {a1: 1, b2: 1}));
		assert.equal(effectType(state), 'run-start-command');
	});
	it('added but not started, no start command: show the settings and wait', () => {
		const state = reduce(initialState(plan({startCommand: undefined})), observed([m1, m2, newUnstarted], {a1: 1, b2: 1}));
		assert.equal(effectType(state), 'observe');
		assert.equal(state.step, 'start');
		assert.ok(state.settings?.flags.includes('--initial-cluster-state=existing'));
	});
	it('a learner not yet promoted: promote', () => {
		const state = reduce(initialState(plan()), observed([m1, m2, newLearner], {a1: 50, b2: 50, d4: 50}));
		assert.equal(effectType(state), 'promote-member');
	});
	it('already a healthy voter: done', () => {
		const state = reduce(initialState(plan()), observed([m1, m2, newVoter], {a1: 50, b2: 50, d4: 50}));
		assert.equal(state.outcome?.type, 'done');
	});
	it('the new member reuses the failed one\'s name: the old one is told apart by its peer URL', () => {
		const reused: MemberInfo = {...newVoter, name: 'etcd-3'};
		const state = reduce(initialState(plan({newName: 'etcd-3'})), observed([m1, m2, reused], {a1: 50, b2: 50, d4: 50}));
		assert.equal(state.outcome?.type, 'done');
	});
});

describe('replace: bounded waits and failures', () => {
	it('times out waiting for a start', () => {
		let state = reduce(initialState(plan({startCommand: undefined, waitTimeoutMs: 10_000})), observed([m1, m2, newUnstarted], {a1: 1, b2: 1}));
		state = reduce(state, observed([m1, m2, newUnstarted], {a1: 1, b2: 1}, 'a1', t0 + 5000));
		assert.equal(state.outcome, undefined);
		state = reduce(state, observed([m1, m2, newUnstarted], {a1: 1, b2: 1}, 'a1', t0 + 11_000));
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /timed out after 10s waiting for etcd-4 to start; run the same command again/);
	});
	it('gives up promoting after the bounded number of "not in sync" answers', () => {
		let state = reduce(initialState(plan({maxPromoteAttempts: 2})), observed([m1, m2, newLearner], {a1: 50, b2: 50, d4: 50}));
		state = reduce(state, {type: 'promote-not-in-sync', message: 'not in sync'});
		assert.equal(state.outcome, undefined);
		state = reduce(state, {type: 'promote-not-in-sync', message: 'not in sync'});
		assert.equal(state.outcome?.type, 'failed');
	});
	it('a failed start command ends the walk with its output', () => {
		const state = walk(initialState(plan()), observed([m1, m2, newUnstarted], {a1: 1, b2: 1}), {type: 'start-command-finished', exitCode: 127, output: ['sh: etcd: not found']});
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /exited with 127: sh: etcd: not found/);
	});
	it('a failed action re-reads the cluster, and stops after three', () => {
		let state = walk(initialState(plan({isPreConfirmed: true})), threeOneDown);
		state = reduce(state, {type: 'action-failed', action: 'remove-member', message: 'deadline exceeded'});
		assert.deepEqual(effectFor(state), {type: 'observe', delayMs: 250});
		state = walk(state, threeOneDown, {type: 'action-failed', action: 'remove-member', message: 'x'}, threeOneDown, {type: 'action-failed', action: 'remove-member', message: 'x'});
		assert.equal(state.outcome?.type, 'failed');
	});
	it('etcd\'s "unhealthy cluster" (a member joined under 5s ago) defers, bounded', () => {
		let state = walk(initialState(plan({kind: 'add', target: undefined, maxPromoteAttempts: 2})), observed([m1, m2, m3], {a1: 1, b2: 1, c3: 1}));
		state = reduce(state, {type: 'change-deferred', action: 'add-member', message: 'etcdserver: unhealthy cluster'});
		assert.deepEqual(effectFor(state), {type: 'observe', delayMs: 250});
		state = walk(state, observed([m1, m2, m3], {a1: 1, b2: 1, c3: 1}));
		assert.equal(effectType(state), 'add-member');
		state = reduce(state, {type: 'change-deferred', action: 'add-member', message: 'etcdserver: unhealthy cluster'});
		assert.equal(state.outcome?.type, 'failed');
	});
	it('a removal that applied before its error is not repeated', () => {
		const state = walk(initialState(plan({isPreConfirmed: true})), threeOneDown, {type: 'action-failed', action: 'remove-member', message: 'deadline exceeded'}, observed([m1, m2], {a1: 1, b2: 1}));
		assert.equal(effectType(state), 'add-member');
	});
	it('no member answering: retried, then failed', () => {
		let state = initialState(plan());
		for (let index = 0; index < 9; index++) state = reduce(state, {type: 'observe-failed', at: t0, message: 'refused'});
		assert.equal(state.outcome, undefined);
		state = reduce(state, {type: 'observe-failed', at: t0, message: 'refused'});
		assert.equal(state.outcome?.type, 'failed');
	});
});

describe('add, remove, promote, move-leader', () => {
	const healthy = observed([m1, m2, m3], {a1: 10, b2: 10, c3: 10});
	it('add a voter to a healthy cluster, then stop (no start command)', () => {
		let state = reduce(initialState(plan({kind: 'add', target: undefined, isLearner: false, startCommand: undefined})), healthy);
		const effect = effectFor(state);
		assert.equal(effect?.type === 'add-member' && effect.isLearner, false);
		state = walk(state, {type: 'member-added', member: {...newUnstarted, isLearner: false}}, observed([m1, m2, m3, {...newUnstarted, isLearner: false}], {a1: 10, b2: 10, c3: 10}));
		assert.equal(state.outcome?.type, 'done');
		assert.ok(state.settings?.env['ETCD_INITIAL_CLUSTER']?.endsWith('etcd-4=http://10.0.0.4:2380'));
	});
	it('refuses a voter the reachable members could not outvote', () => {
		const state = reduce(initialState(plan({kind: 'add', target: undefined, isLearner: false})), threeOneDown);
		assert.equal(state.outcome?.type, 'refused');
		assert.match(state.outcome!.message, /4 voters with quorum 3, but only 2 are reachable/);
	});
	it('add with a start command waits until the voter answers', () => {
		const added = {...newUnstarted, isLearner: false};
		let state = reduce(initialState(plan({kind: 'add', target: undefined, isLearner: false})), observed([m1, m2, m3, added], {a1: 10, b2: 10, c3: 10}));
		assert.equal(effectType(state), 'run-start-command');
		state = walk(state, {type: 'start-command-finished', exitCode: 0, output: []}, observed([m1, m2, m3, newVoter], {a1: 10, b2: 10, c3: 10, d4: 10}));
		assert.equal(state.outcome?.type, 'done');
	});
	it('remove: confirm, remove, done once gone', () => {
		let state = reduce(initialState(plan({kind: 'remove', target: 'c3'})), healthy);
		assert.equal(effectType(state), 'confirm');
		state = walk(state, {type: 'confirmed'}, healthy);
		assert.equal(effectType(state), 'remove-member');
		state = walk(state, {type: 'member-removed', id: 'c3'}, observed([m1, m2], {a1: 11, b2: 11}));
		assert.equal(state.outcome?.type, 'done');
	});
	it('remove refused for want of the root role: refused at once, the words kept, never tried again', () => {
		let state = reduce(initialState(plan({kind: 'remove', target: 'c3'})), healthy);
		state = walk(state, {type: 'confirmed'}, healthy);
		assert.equal(effectType(state), 'remove-member');
		const words = 'permission denied for MemberRemove: user "alice" does not have the root role, which etcd requires for member changes; grant it (etcdctl user grant-role alice root) or connect as a user that has it';
		state = reduce(state, {type: 'action-failed', action: 'remove-member', message: words, kind: 'permission-denied'});
		assert.equal(state.outcome?.type, 'refused');
		assert.ok(state.outcome?.type === 'refused');
		assert.equal(state.outcome.credentials, 'permission-denied');
		assert.ok(state.outcome.message.startsWith(words), state.outcome.message);
		assert.equal(effectFor(state), undefined);
	});
	it('remove an unknown member: refused, naming the input', () => {
		const state = reduce(initialState(plan({kind: 'remove', target: 'nope', inputs: {target: 'member remove'}})), healthy);
		assert.equal(state.outcome?.type === 'refused' && state.outcome.problem?.input, 'member remove');
	});
	it('promote: already a voter is done; a learner is promoted', () => {
		assert.equal(reduce(initialState(plan({kind: 'promote', target: 'etcd-2'})), healthy).outcome?.type, 'done');
		const state = reduce(initialState(plan({kind: 'promote', target: 'etcd-4'})), observed([m1, m2, m3, newLearner], {a1: 10, b2: 10, c3: 10, d4: 10}));
		assert.equal(effectType(state), 'promote-member');
	});
	it('move-leader: sent to the leader; done when the target leads', () => {
		let state = reduce(initialState(plan({kind: 'move-leader', target: 'etcd-2'})), healthy);
		const effect = effectFor(state);
		assert.equal(effect?.type === 'move-leader' && effect.from.id, 'a1');
		state = walk(state, {type: 'leader-moved'}, healthy);
		assert.equal(effectType(state), 'observe');
		state = reduce(state, observed([m1, m2, m3], {a1: 10, b2: 10, c3: 10}, 'b2'));
		assert.equal(state.outcome?.type, 'done');
	});
	it('move-leader refuses a learner or an unreachable member', () => {
		assert.equal(reduce(initialState(plan({kind: 'move-leader', target: 'etcd-3'})), threeOneDown).outcome?.type, 'refused');
		assert.equal(reduce(initialState(plan({kind: 'move-leader', target: 'etcd-4'})), observed([m1, m2, m3, newLearner], {a1: 1, b2: 1, c3: 1, d4: 1})).outcome?.type, 'refused');
	});
});

describe('guards, URLs and settings', () => {
	it('quorum numbers', () => {
		const all = new Set(['a1', 'b2', 'c3']);
		assert.equal(guardRemoval([m1, m2, m3], all, 'c3').isAllowed, true);
		assert.equal(guardRemoval([m1], new Set(['a1']), 'a1').isAllowed, false);
		assert.equal(guardRemoval([m1, m2, m3, newLearner], new Set(['a1', 'b2']), 'd4').isAllowed, true, 'a learner leaves no quorum behind');
		assert.equal(guardAddition([m1, m2, m3], new Set(['a1', 'b2']), true).isAllowed, true, 'a learner is always safe with quorum');
	});
	it('URL checks', () => {
		assert.equal(normalizeMemberUrl('HTTP://Host.Example:2380/', '--peer-url'), 'http://host.example:2380');
		for (const bad of ['10.0.0.4:2380', 'ftp://h:1', 'http://h', 'http://h:2380/path', 'http://u:p@h:1', '']) {
			const result = normalizeMemberUrl(bad, '--peer-url');
			assert.equal(typeof result, 'object', bad);
		}
		assert.deepEqual(parseMemberUrls('http://a:1,http://a:1,https://b:2', 'x'), ['http://a:1', 'https://b:2']);
		assert.equal(checkNewMember({name: 'n', peerUrls: ['http://10.0.0.1:2380'], clientUrls: [], nameInput: 'n', peerInput: 'p', clientInput: 'c'}, [m1])?.input, 'p');
	});
	it('start settings as env, flags and manifest lines', () => {
		const settings = startSettings([m1, m2, newUnstarted], {name: 'etcd-4', peerUrls: ['http://10.0.0.4:2380'], clientUrls: ['http://10.0.0.4:2379']});
		assert.deepEqual(settings.flags, [
			'--name=etcd-4',
			'--initial-cluster=etcd-1=http://10.0.0.1:2380,etcd-2=http://10.0.0.2:2380,etcd-4=http://10.0.0.4:2380',
			'--initial-advertise-peer-urls=http://10.0.0.4:2380',
			'--initial-cluster-state=existing',
			'--listen-peer-urls=http://10.0.0.4:2380',
			'--advertise-client-urls=http://10.0.0.4:2379',
			'--listen-client-urls=http://10.0.0.4:2379',
		]);
		assert.equal(settings.manifestLines[0], '    - --name=etcd-4');
		// A start command gets only what etcdctl member add prints: etcd exits when a variable and its flag are both set.
		assert.deepEqual(Object.keys(settings.env), ['ETCD_NAME', 'ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_ADVERTISE_PEER_URLS', 'ETCD_INITIAL_CLUSTER_STATE']);
		assert.deepEqual(settings.urlFlags, ['--listen-peer-urls=http://10.0.0.4:2380', '--advertise-client-urls=http://10.0.0.4:2379', '--listen-client-urls=http://10.0.0.4:2379']);
		assert.match(settings.warnings[0]!, /data dir on the new host must be empty/);
	});
	it('a wrong user or password is refused at once, naming --user, never retried', () => {
		const state = reduce(initialState(plan()), {type: 'observe-failed', at: 0, message: 'http://10.0.0.1:2379: etcdserver: authentication failed, invalid user ID or password', kind: 'auth'});
		assert.equal(state.outcome?.type, 'refused');
		assert.equal(state.outcome?.type === 'refused' && state.outcome.credentials, 'auth');
		assert.match(state.outcome.message, /authentication failed.*; nothing was changed$/);
		assert.equal(effectFor(state), undefined);
		const transient = reduce(initialState(plan()), {type: 'observe-failed', at: 0, message: 'connection refused'});
		assert.equal(transient.outcome, undefined, 'other failures are retried');
	});
});

describe('the console: every change waits for a typed name', () => {
	const fourAnswering = observed([m1, m2, m3], {a1: 100, b2: 100, c3: 100});
	it('add: the quorum now and after and the etcdctl line come before the add; the new name is typed', () => {
		for (const isLearner of [true, false]) {
			let state = walk(initialState(plan({kind: 'add', target: undefined, isLearner, isConfirmingEveryChange: true, isPromotingLearner: true, isWaitingForStart: true, startCommand: undefined})), fourAnswering);
			const confirm = effectFor(state);
			assert.equal(confirm?.type, 'confirm');
			assert.ok(confirm?.type === 'confirm');
			assert.equal(confirm.expected, 'etcd-4');
			assert.equal(confirm.verb, 'add it');
			assert.match(confirm.summary.join('\n'), /quorum now: 3 voters, quorum 2, 3 reachable, tolerates 1 down/);
			assert.match(confirm.summary.join('\n'), isLearner ? /quorum after the add: 3 voters, quorum 2/ : /quorum after the add: 4 voters, quorum 3, 3 reachable until it starts, tolerates 0 down/);
			assert.match(confirm.summary.join('\n'), new RegExp(`member add etcd-4 --peer-urls=http://10.0.0.4:2380${isLearner ? ' --learner' : '$'}`, 'm'));
			state = walk(state, {type: 'confirmed'}, fourAnswering);
			assert.equal(effectType(state), 'add-member');
			// Without a start command the console waits for the operator to start it, with the settings shown.
			state = walk(state, {type: 'member-added', member: {...newUnstarted, isLearner}}, observed([m1, m2, m3, {...newUnstarted, isLearner}], {a1: 100, b2: 100, c3: 100}));
			assert.equal(state.outcome, undefined);
			assert.equal(state.step, 'start');
			assert.ok(state.settings?.env['ETCD_INITIAL_CLUSTER']?.includes('etcd-4=http://10.0.0.4:2380'));
		}
	});
	it('the command line confirms removals only: add and move-leader run without a typed name', () => {
		const add = walk(initialState(plan({kind: 'add', target: undefined, isLearner: false})), fourAnswering);
		assert.equal(effectType(add), 'add-member');
		const move = walk(initialState(plan({kind: 'move-leader', target: 'etcd-2'})), fourAnswering);
		assert.equal(effectType(move), 'move-leader');
	});
	it('move-leader: the new leader\'s name is typed; a "no" changes nothing', () => {
		const state = walk(initialState(plan({kind: 'move-leader', target: 'etcd-2', isConfirmingEveryChange: true})), fourAnswering);
		const confirm = effectFor(state);
		assert.ok(confirm?.type === 'confirm');
		assert.equal(confirm.expected, 'etcd-2');
		assert.match(confirm.summary[0]!, /move leadership from etcd-1 \(a1\) to etcd-2 \(b2\): an election/);
		assert.equal(walk(state, {type: 'cancelled'}).outcome?.type, 'cancelled');
		assert.equal(effectType(walk(state, {type: 'confirmed'}, fourAnswering)), 'move-leader');
	});
	it('a member added from the console and not started is removed under the name it was added under, not its 16-digit ID', () => {
		const unstarted: MemberInfo = {...newUnstarted, isLearner: true};
		const state = walk(initialState(plan({kind: 'remove', target: 'd4', givenNames: {d4: 'etcd-4'}})), observed([m1, m2, m3, unstarted], {a1: 100, b2: 100, c3: 100}));
		const confirm = effectFor(state);
		assert.ok(confirm?.type === 'confirm');
		assert.equal(confirm.expected, 'etcd-4');
		assert.match(confirm.summary[0]!, /remove: etcd-4 \(d4\)/);
	});
});

describe('waiting for the new member: what its client URL answers, and plainly when nothing listens', () => {
	it('counts how long the same answer has come, and says when nothing has listened for 30s', () => {
		const unstarted: MemberInfo = {...newUnstarted, isLearner: true};
		const members = [m1, m2, unstarted];
		const at = (seconds: number, answer = 'connection refused: nothing listens there', isListening = false): OperationEvent => {
			const event = observed(members, {a1: 100, b2: 100}, 'a1', t0 + seconds * 1000);
			return event.type === 'observed' ? {...event, newClient: {url: 'http://10.0.0.4:2379', answer, isListening}} : event;
		};
		let state = walk(initialState(plan({startCommand: undefined, isPreConfirmed: true})), observed(members, {a1: 100, b2: 100}));
		assert.equal(state.step, 'start');
		state = walk(state, at(1), at(10));
		assert.match(waitingText(state)?.text ?? '', /waiting 10s of 60s for etcd-4 to start; http:\/\/10\.0\.0\.4:2379: connection refused: nothing listens there \(for 9s\)/);
		assert.equal(waitingText(state)?.isWorrying, false);
		state = walk(state, at(40));
		assert.match(waitingText(state)?.text ?? '', /nothing has listened on http:\/\/10\.0\.0\.4:2379 for 39s .*etcd-4 is not running/);
		assert.equal(waitingText(state)?.isWorrying, true);
		// Something answers now (a TLS listener, another member): no longer "nothing listens".
		state = walk(state, at(45, 'tls: wrong version number', true));
		assert.match(waitingText(state)?.text ?? '', /tls: wrong version number \(for 0s\)/);
		assert.equal(waitingText(state)?.isWorrying, false);
	});
	it('catch-up says when the new member has not answered yet, never "applied ?"', () => {
		assert.equal(catchUpText({leaderApplied: 523, memberApplied: undefined, lag: undefined}), 'catch-up: the new member has not answered a status yet (the leader has applied 523)');
		assert.equal(catchUpText({leaderApplied: 523, memberApplied: 500, lag: 23}), "catch-up: applied 500 of leader's 523 (lag 23)");
	});
});
