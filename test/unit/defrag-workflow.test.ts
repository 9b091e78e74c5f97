import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import type {Alarm, EndpointStatus, MemberInfo} from '../../source/etcd/types.js';
import {parseRule} from '../../source/ops/defrag-rule.js';
import {
	confirmWord,
	disarmBlocker,
	effectForDefrag,
	initialDefragState,
	planDefrag,
	reduceDefrag,
	type DefragEffect,
	type DefragEvent,
	type DefragOptions,
	type DefragState,
} from '../../source/ops/defrag-workflow.js';
import type {Observation} from '../../source/ops/member-workflow.js';

const t0 = Date.parse('2026-12-06T08:00:00Z');
const mib = 1024 * 1024;

function member(id: string, name: string, port: number, patch: Partial<MemberInfo> = {}): MemberInfo {
	return {id, name, peerUrls: [`http://10.0.0.${port}:2380`], clientUrls: [`http://10.0.0.${port}:2379`], isLearner: false, ...patch};
}

const m1 = member('a1', 'etcd-1', 1);
const m2 = member('b2', 'etcd-2', 2);
const m3 = member('c3', 'etcd-3', 3);
const learner = member('d4', 'etcd-4', 4, {isLearner: true});

interface Answer {
	readonly dbSize?: number;
	readonly dbSizeInUse?: number;
	readonly alarms?: readonly Alarm[];
	readonly leader?: string;
	readonly dbSizeQuota?: number;
	readonly revision?: number;
	readonly raftIndex?: number;
	readonly raftAppliedIndex?: number;
}

function observation(members: readonly MemberInfo[], answers: Record<string, Answer | string>, at = t0): Observation {
	const statuses: Record<string, EndpointStatus> = {};
	const failures: Record<string, string> = {};
	for (const m of members) {
		const answer = answers[m.id] ?? 'refused: connection refused';
		if (typeof answer === 'string') {
			failures[m.id] = answer;
			continue;
		}
		statuses[m.id] = {
			clusterId: 'ff',
			memberId: m.id,
			revision: answer.revision ?? 100,
			raftTerm: 2,
			version: '3.5.30',
			dbSize: answer.dbSize ?? 200 * mib,
			dbSizeInUse: answer.dbSizeInUse ?? 50 * mib,
			leader: answer.leader ?? 'b2',
			raftIndex: answer.raftIndex ?? 500,
			raftAppliedIndex: answer.raftAppliedIndex ?? 500,
			errors: [],
			alarms: answer.alarms ?? [],
			isLearner: m.isLearner,
			...(answer.dbSizeQuota === undefined ? {} : {dbSizeQuota: BigInt(answer.dbSizeQuota)}),
		} as EndpointStatus;
	}
	return {at, members, statuses, failures};
}

const all = [m1, m2, m3, learner];
const healthy = (patch: Partial<Record<string, Answer>> = {}, at = t0) =>
	observation(all, {a1: {...patch['a1']}, b2: {...patch['b2']}, c3: {...patch['c3']}, d4: {...patch['d4']}}, at);

function options(patch: Partial<DefragOptions> = {}): DefragOptions {
	return {
		isCompacting: false,
		isDisarming: false,
		rule: undefined,
		isDryRun: false,
		isPreConfirmed: true,
		quotaFlag: undefined,
		settleTimeoutMs: 30_000,
		connection: {endpoints: ['http://10.0.0.1:2379']},
		...patch,
	};
}

const observed = (obs: Observation): DefragEvent => ({type: 'observed', observation: obs});
const readsOk: DefragEvent = {type: 'reads-done', failures: {}};

function walk(state: DefragState, ...events: DefragEvent[]): DefragState {
	return events.reduce(reduceDefrag, state);
}

function effect(state: DefragState): DefragEffect | undefined {
	return effectForDefrag(state);
}

/** After a compaction: feeds the same healthy observation until the member's catch-up wait lets its defrag start. */
function caughtUp(state: DefragState, at = t0): DefragState {
	let current = state;
	for (let guard = 0; guard < 5 && current.step === 'catch-up' && effect(current)?.type === 'observe'; guard++) current = walk(current, observed(healthy({}, at + guard * 300)));
	return current;
}

/** Runs the defrags one by one: each member comes back at once with a smaller DB. */
function defragAll(state: DefragState, at = t0): DefragState {
	let current = state;
	let clock = at;
	for (let guard = 0; guard < 10; guard++) {
		current = caughtUp(current, clock);
		const next = effect(current);
		if (next?.type !== 'defragment') return current;
		clock += 1000;
		current = walk(
			current,
			{type: 'defragmented', id: next.member.id, at: clock, tookMs: 900},
			observed(healthy({a1: {dbSize: 60 * mib}, b2: {dbSize: 60 * mib}, c3: {dbSize: 60 * mib}}, clock + 10)),
		);
	}
	return current;
}

describe('defrag workflow: preflight', () => {
	it('refuses, changing nothing, when a voter does not answer', () => {
		const state = walk(initialDefragState(options()), observed(observation(all, {a1: {}, b2: {}, c3: 'timeout: Deadline exceeded', d4: {}})));
		assert.equal(state.outcome?.type, 'refused');
		assert.match(state.outcome!.message, /etcd-3 \(c3\) is unreachable \(timeout/);
		assert.match(state.outcome!.message, /nothing was changed/);
		assert.equal(effect(state), undefined);
	});

	it('an unreachable learner does not stop it; the learner is listed as skipped', () => {
		let state = walk(initialDefragState(options()), observed(observation(all, {a1: {}, b2: {}, c3: {}, d4: 'refused: connection refused'})));
		assert.equal(effect(state)?.type, 'read-linearizable');
		state = walk(state, readsOk, {type: 'quotas-read', quotas: {}, failures: {}});
		const row = state.plan!.find(r => r.id === 'd4')!;
		assert.equal(row.action, 'skip');
		assert.match(row.reason, /learner, unreachable/);
	});

	it('refuses without a leader once an election has had its time (three election timeouts), looking again meanwhile', () => {
		const leaderless = (at: number) => observed(healthy({a1: {leader: '0'}, b2: {leader: '0'}, c3: {leader: '0'}, d4: {leader: '0'}}, at));
		let state = walk(initialDefragState(options()), leaderless(t0));
		assert.equal(state.outcome, undefined);
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 200, isElectionWait: true});
		state = walk(state, leaderless(t0 + 400), leaderless(t0 + 1000), leaderless(t0 + 2000));
		assert.equal(state.outcome, undefined);
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 1000, isElectionWait: true}, 'doubling, within the bound');
		state = walk(state, leaderless(t0 + 3000));
		assert.equal(state.outcome?.type, 'refused');
		assert.equal(state.outcome!.message, 'preflight: the cluster has no leader: still no leader after waiting 3.0s for an election (no member names a leader that answers); nothing was changed');
	});

	it('waits out an election ("leader changed" to the member list), then decides on the fresh look: a hung leader is an unreachable voter', () => {
		let state = walk(initialDefragState(options()), {type: 'observe-failed', at: t0, kind: 'no-leader', message: 'no-leader: http://10.0.0.1:2379: Deadline exceeded; http://10.0.0.2:2379: etcdserver: leader changed'});
		assert.equal(state.outcome, undefined, state.outcome?.message);
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 200, isElectionWait: true});
		assert.match(state.notes.at(-1)!, /^no leader \(.*leader changed\): waiting up to 3\.0s for an election$/);
		// The others elected etcd-2; etcd-1 (the old leader) hangs.
		state = walk(state, observed(observation(all, {a1: 'timeout: Deadline exceeded', b2: {}, c3: {}, d4: {}}, t0 + 1400)));
		assert.equal(state.outcome?.type, 'refused');
		assert.match(state.outcome!.message, /^preflight: voter etcd-1 \(a1\) is unreachable \(timeout: Deadline exceeded\)/);
		assert.doesNotMatch(state.outcome!.message, /no member answered/);
	});

	it('an election that ends in time: the preflight carries on to the linearizable reads (the command log says how long it waited: below)', () => {
		let state = walk(initialDefragState(options()), {type: 'observe-failed', at: t0, kind: 'no-leader', message: 'etcdserver: leader changed'});
		state = walk(state, observed(healthy({}, t0 + 1200)));
		assert.equal(state.outcome, undefined);
		assert.equal(effect(state)?.type, 'read-linearizable');
		assert.equal(state.electionWait, undefined);
	});

	it('"leader changed" past the election wait is refused as no leader; any other failure of the member list at once', () => {
		let state = walk(initialDefragState(options()), {type: 'observe-failed', at: t0, kind: 'no-leader', message: 'etcdserver: leader changed'});
		for (const at of [t0 + 300, t0 + 900, t0 + 2000]) state = walk(state, {type: 'observe-failed', at, kind: 'no-leader', message: 'etcdserver: leader changed'});
		assert.equal(state.outcome, undefined);
		state = walk(state, {type: 'observe-failed', at: t0 + 3100, kind: 'no-leader', message: 'etcdserver: leader changed'});
		assert.equal(state.outcome?.type, 'refused');
		assert.equal(state.outcome!.message, 'preflight: the cluster has no leader: still no leader after waiting 3.1s for an election (etcdserver: leader changed); nothing was changed');
		const refused = walk(initialDefragState(options()), {type: 'observe-failed', at: t0, kind: 'refused', message: 'refused: connect ECONNREFUSED'});
		assert.match(refused.outcome!.message, /^preflight: no member answered the member list \(refused/);
	});

	it('an election that starts between the look and the linearizable reads is waited out too', () => {
		let state = walk(initialDefragState(options()), observed(healthy()), {type: 'reads-done', at: t0 + 100, failures: {a1: 'etcdserver: leader changed', b2: 'etcdserver: leader changed', c3: 'etcdserver: leader changed'}, kinds: {a1: 'no-leader', b2: 'no-leader', c3: 'no-leader'}});
		assert.equal(state.outcome, undefined, state.outcome?.message);
		assert.equal(state.step, 'preflight');
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 200, isElectionWait: true});
		state = walk(state, observed(healthy({}, t0 + 900)));
		assert.equal(effect(state)?.type, 'read-linearizable');
	});

	it('refuses on CORRUPT, and never plans a disarm of it', () => {
		const corrupt: Alarm[] = [{memberId: 'c3', alarm: 'CORRUPT'}];
		const state = walk(initialDefragState(options({isDisarming: true})), observed(healthy({a1: {alarms: corrupt}, b2: {alarms: corrupt}, c3: {alarms: corrupt}})));
		assert.equal(state.outcome?.type, 'refused');
		assert.match(state.outcome!.message, /CORRUPT alarm raised by member c3/);
	});

	it('allows NOSPACE', () => {
		const nospace: Alarm[] = [{memberId: 'a1', alarm: 'NOSPACE'}];
		const state = walk(initialDefragState(options()), observed(healthy({a1: {alarms: nospace}, b2: {alarms: nospace}, c3: {alarms: nospace}})));
		assert.equal(state.outcome, undefined);
		const next = effect(state);
		assert.equal(next?.type, 'read-linearizable');
		assert.deepEqual((next as {members: ReadonlyArray<{id: string}>}).members.map(m => m.id), ['a1', 'b2', 'c3']);
	});

	it('refuses when a linearizable read fails on a voter', () => {
		const state = walk(initialDefragState(options()), observed(healthy()), {type: 'reads-done', failures: {c3: 'timeout: Deadline exceeded'}});
		assert.equal(state.outcome?.type, 'refused');
		assert.match(state.outcome!.message, /linearizable read failed on etcd-3 \(c3\): timeout/);
	});

	it('refuses when no member answers the member list', () => {
		const state = walk(initialDefragState(options()), {type: 'observe-failed', at: t0, message: 'refused'});
		assert.equal(state.outcome?.type, 'refused');
	});
});

describe('defrag workflow: quota', () => {
	it('takes the quota from Status, else --quota-backend-bytes, else asks /metrics; unknown stays unknown', () => {
		let state = walk(initialDefragState(options()), observed(healthy({a1: {dbSizeQuota: 8 * 1024 * mib}})), readsOk);
		const asked = effect(state);
		assert.equal(asked?.type, 'read-quotas');
		assert.deepEqual((asked as {members: ReadonlyArray<{id: string}>}).members.map(m => m.id), ['b2', 'c3', 'd4']);
		state = walk(state, {type: 'quotas-read', quotas: {b2: 2 * 1024 * mib}, failures: {c3: 'refused'}});
		const byId = Object.fromEntries(state.plan!.map(row => [row.id, [row.quota, row.quotaSource]]));
		assert.deepEqual(byId, {a1: [8 * 1024 * mib, 'status'], b2: [2 * 1024 * mib, 'metrics'], c3: [undefined, undefined], d4: [undefined, undefined]});
		assert.ok(state.notes.some(line => /quota unknown for etcd-3, etcd-4/.test(line)));

		const flagged = walk(initialDefragState(options({quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		assert.notEqual(effect(flagged)?.type, 'read-quotas');
		assert.ok(flagged.plan!.every(row => row.quota === 16 * mib && row.quotaSource === 'flag'));
	});
});

describe('defrag workflow: plan and order', () => {
	it('followers first, the leader last, learners skipped with the reason', () => {
		const plan = planDefrag(healthy(), options(), {});
		assert.deepEqual(plan.map(row => [row.name, row.role, row.action]), [
			['etcd-1', 'follower', 'defrag'],
			['etcd-3', 'follower', 'defrag'],
			['etcd-2', 'leader', 'defrag'],
			['etcd-4', 'learner', 'skip'],
		]);
		assert.match(plan[3]!.reason, /etcd refuses Defragment on a learner/);
		assert.equal(plan[0]!.dbSizeFree, 150 * mib);
	});

	it('--rule selects members; the rest are skipped with why', () => {
		const rule = parseRule('dbSize > 100MiB && dbSizeFree/dbSize > 0.5');
		const plan = planDefrag(healthy({a1: {dbSize: 50 * mib}, c3: {dbSizeInUse: 190 * mib}}), options({rule}), {});
		assert.deepEqual(plan.filter(row => row.action === 'defrag').map(row => row.name), ['etcd-2']);
		assert.match(plan.find(row => row.name === 'etcd-1')!.reason, /rule does not select it/);
		const quotaRule = planDefrag(healthy(), options({rule: parseRule('dbQuotaUsage > 0.5')}), {a1: {bytes: 300 * mib, source: 'flag'}});
		assert.equal(quotaRule.find(row => row.name === 'etcd-1')!.action, 'defrag');
		assert.match(quotaRule.find(row => row.name === 'etcd-3')!.reason, /quota.*unknown/);
	});

	it('--dry-run shows the plan and changes nothing', () => {
		const state = walk(initialDefragState(options({isDryRun: true, isCompacting: true, isDisarming: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		assert.equal(state.outcome?.type, 'planned');
		assert.equal(effect(state), undefined);
		assert.ok(state.notes.some(line => /plan: compact to revision 100, then defragment etcd-1, then etcd-3, then etcd-2, then disarm/.test(line)));
	});

	it('asks for the typed word unless --yes, showing every etcdctl line; a wrong answer cancels', () => {
		let state = walk(initialDefragState(options({isPreConfirmed: false, isCompacting: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		const ask = effect(state);
		assert.equal(ask?.type, 'confirm');
		const confirm = ask as Extract<DefragEffect, {type: 'confirm'}>;
		assert.equal(confirm.expected, confirmWord);
		assert.match(confirm.commands[0]!, /^etcdctl --endpoints=http:\/\/10\.0\.0\.2:2379 compact 100 --physical$/);
		assert.match(confirm.commands[1]!, /--endpoints=http:\/\/10\.0\.0\.1:2379 --command-timeout=\d+s defrag$/);
		assert.match(confirm.commands[3]!, /10\.0\.0\.2:2379 .*defrag$/);
		state = walk(state, {type: 'cancelled'});
		assert.equal(state.outcome?.type, 'cancelled');
		assert.equal(effect(state), undefined);
	});
});

describe('defrag workflow: run', () => {
	it('compacts to the current revision on the leader, then defragments one member at a time, the leader last', () => {
		let state = walk(initialDefragState(options({isCompacting: true, quotaFlag: 16 * mib})), observed(healthy({b2: {revision: 120}})), readsOk);
		const compact = effect(state) as Extract<DefragEffect, {type: 'compact'}>;
		assert.equal(compact.type, 'compact');
		assert.equal(compact.revision, 120);
		assert.equal(compact.endpoint, 'http://10.0.0.2:2379');
		state = walk(state, {type: 'compacted', revision: 120, isAlreadyCompacted: false});
		const order: string[] = [];
		for (let guard = 0; guard < 5; guard++) {
			state = caughtUp(state, t0 + 2000);
			const next = effect(state);
			if (next?.type !== 'defragment') break;
			order.push(next.member.name);
			assert.equal(state.progress[next.member.id]?.state, 'defragmenting');
			// a 200 MiB member gets a deadline far above etcdctl's 5 s
			assert.match(next.command, /--command-timeout=(\d+)s/);
			assert.ok(Number(/--command-timeout=(\d+)s/.exec(next.command)![1]) >= 60);
			state = walk(state, {type: 'defragmented', id: next.member.id, at: t0 + 1000, tookMs: 800});
			assert.equal(state.progress[next.member.id]?.state, 'settling');
			assert.equal(effect(state)?.type, 'observe');
			state = walk(state, observed(healthy({[next.member.id]: {dbSize: 60 * mib}}, t0 + 1100)));
			assert.equal(state.progress[next.member.id]?.state, 'done');
		}
		assert.deepEqual(order, ['etcd-1', 'etcd-3', 'etcd-2']);
		assert.equal(state.outcome?.type, 'done');
		assert.deepEqual(state.progress['d4'], {state: 'skipped', reason: state.plan!.find(r => r.id === 'd4')!.reason});
	});

	it('keeps the leader last when leadership moves during the run', () => {
		let state = walk(initialDefragState(options({quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		const first = effect(state) as Extract<DefragEffect, {type: 'defragment'}>;
		assert.equal(first.member.name, 'etcd-1');
		// While etcd-1 defragmented, leadership moved to etcd-3.
		const moved = {leader: 'c3'};
		state = walk(state, {type: 'defragmented', id: 'a1', at: t0 + 1000, tookMs: 800}, observed(healthy({a1: moved, b2: moved, c3: moved, d4: moved}, t0 + 1100)));
		const second = effect(state) as Extract<DefragEffect, {type: 'defragment'}>;
		assert.equal(second.member.name, 'etcd-2');
	});

	it('waits after a defrag until the member answers and there is a leader, within the bound', () => {
		let state = walk(initialDefragState(options({quotaFlag: 16 * mib, settleTimeoutMs: 5000})), observed(healthy()), readsOk, {type: 'defragmented', id: 'a1', at: t0, tookMs: 800});
		// etcd-1 does not answer yet
		state = walk(state, observed(observation(all, {a1: 'timeout: Deadline exceeded', b2: {}, c3: {}, d4: {}}, t0 + 300)));
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 250});
		// it answers, but nobody leads
		const noLeader = {leader: '0'};
		state = walk(state, observed(healthy({a1: noLeader, b2: noLeader, c3: noLeader, d4: noLeader}, t0 + 600)));
		assert.equal(effect(state)?.type, 'observe');
		assert.equal(state.progress['a1']?.state, 'settling');
		// past the bound: stop before the next member
		state = walk(state, observed(healthy({a1: noLeader, b2: noLeader, c3: noLeader, d4: noLeader}, t0 + 6000)));
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /no leader within 5s; stopped before the next member/);
		assert.equal(state.progress['c3']?.state, 'waiting');
	});

	it('stops at the first failed defrag and names the members not started', () => {
		let state = walk(initialDefragState(options({quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		state = walk(state, {type: 'defrag-failed', id: 'a1', message: 'timeout: Deadline exceeded'});
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /defragment of etcd-1 failed: timeout.*not started: etcd-3, etcd-2/);
		assert.deepEqual(state.progress['a1'], {state: 'failed', message: 'timeout: Deadline exceeded'});
	});

	it('a defrag etcd refuses for want of the root role stops there, as a refusal of the credentials (exit 3)', () => {
		let state = walk(initialDefragState(options({quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		state = walk(state, {type: 'defrag-failed', id: 'a1', message: 'permission-denied: permission denied for Defragment', kind: 'permission-denied'});
		assert.equal(state.outcome?.type === 'failed' && state.outcome.credentials, 'permission-denied');
		const timedOut = walk(walk(initialDefragState(options({quotaFlag: 16 * mib})), observed(healthy()), readsOk), {type: 'defrag-failed', id: 'a1', message: 'timeout', kind: 'timeout'});
		assert.equal(timedOut.outcome?.type === 'failed' && timedOut.outcome.credentials, undefined);
	});

	it('a failed compaction defragments nothing; an already compacted revision carries on', () => {
		const base = walk(initialDefragState(options({isCompacting: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		const failed = walk(base, {type: 'compact-failed', message: 'timeout'});
		assert.equal(failed.outcome?.type, 'failed');
		assert.match(failed.outcome!.message, /no member was defragmented/);
		const already = caughtUp(walk(base, {type: 'compacted', revision: 100, isAlreadyCompacted: true}));
		assert.equal(effect(already)?.type, 'defragment');
		assert.ok(already.notes.some(line => /already compacted/.test(line)));
	});

	it('after the compaction, a member is defragmented only once it has applied it and stopped removing compacted keys', () => {
		let state = walk(initialDefragState(options({isCompacting: true, quotaFlag: 16 * mib, settleTimeoutMs: 5000})), observed(healthy()), readsOk, {type: 'compacted', revision: 100, isAlreadyCompacted: false});
		assert.equal(effect(state)?.type, 'observe');
		// The leader (etcd-2) committed the compaction at or before index 600; etcd-1 has applied only 550.
		const lagging = {a1: {raftIndex: 600, raftAppliedIndex: 550}, b2: {raftIndex: 600, raftAppliedIndex: 600}, c3: {raftIndex: 600, raftAppliedIndex: 600}};
		state = walk(state, observed(healthy(lagging, t0 + 100)));
		assert.equal(state.compactIndex, 600);
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 250});
		assert.equal(state.progress['a1']?.state, 'waiting');
		// Still behind: no defrag yet.
		state = walk(state, observed(healthy(lagging, t0 + 400)));
		assert.equal(effect(state)?.type, 'observe');
		// It applied the compaction; its dbSizeInUse still shrinks as etcd removes the compacted keys in batches.
		state = walk(state, observed(healthy({a1: {raftIndex: 601, raftAppliedIndex: 601, dbSizeInUse: 80 * mib}}, t0 + 700)));
		assert.deepEqual(effect(state), {type: 'observe', delayMs: 300});
		state = walk(state, observed(healthy({a1: {raftIndex: 601, raftAppliedIndex: 601, dbSizeInUse: 40 * mib}}, t0 + 1000)));
		assert.equal(effect(state)?.type, 'observe');
		// Stopped decreasing: now the defrag starts.
		state = walk(state, observed(healthy({a1: {raftIndex: 602, raftAppliedIndex: 602, dbSizeInUse: 40 * mib}}, t0 + 1300)));
		const next = effect(state) as Extract<DefragEffect, {type: 'defragment'}>;
		assert.equal(next.type, 'defragment');
		assert.equal(next.member.name, 'etcd-1');
		// The next member waits for the compaction too (against the same index).
		state = walk(state, {type: 'defragmented', id: 'a1', at: t0 + 2000, tookMs: 600}, observed(healthy({}, t0 + 2100)));
		assert.equal(state.step, 'catch-up');
		assert.equal(state.current, 'c3');
		state = walk(state, observed(healthy({c3: {raftIndex: 700, raftAppliedIndex: 599}}, t0 + 2200)));
		assert.equal(effect(state)?.type, 'observe');
		// Past --wait-timeout without applying it: stop, with why, before its defrag.
		state = walk(state, observed(healthy({c3: {raftIndex: 700, raftAppliedIndex: 599}}, t0 + 8000)));
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /etcd-3 \(c3\) had applied raft index 599, not yet the compaction's 600 within 5s of the compaction; stopped before its defrag/);
		assert.equal(state.progress['c3']?.state, 'waiting');
	});

	it('a member still removing compacted keys after the bound is defragmented anyway, with a note', () => {
		let state = walk(initialDefragState(options({isCompacting: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk, {type: 'compacted', revision: 100, isAlreadyCompacted: false});
		for (let i = 0; i < 20 && effect(state)?.type === 'observe'; i++) state = walk(state, observed(healthy({a1: {dbSizeInUse: (100 - i) * mib}}, t0 + i * 300)));
		assert.equal(effect(state)?.type, 'defragment');
		assert.ok(state.notes.some(line => /etcd-1: its dbSizeInUse still decreased 3s after it applied the compaction; defragmenting anyway/.test(line)));
	});

	it('a rule that selects nobody finishes without changing anything', () => {
		const state = walk(initialDefragState(options({rule: parseRule('dbSize > 1TiB'), quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		assert.equal(state.outcome?.type, 'done');
		assert.match(state.outcome!.message, /defragmented 0 members/);
	});
});

describe('defrag workflow: disarm', () => {
	const nospace: Alarm[] = [{memberId: 'a1', alarm: 'NOSPACE'}, {memberId: 'c3', alarm: 'NOSPACE'}];
	const full = {alarms: nospace, dbSize: 16 * mib, dbSizeInUse: 2 * mib};

	it('disarms NOSPACE once every member is below 90% of its quota, then checks it is gone', () => {
		let state = walk(initialDefragState(options({isDisarming: true, isCompacting: true, quotaFlag: 16 * mib})), observed(healthy({a1: full, b2: full, c3: full, d4: full})), readsOk);
		state = walk(state, {type: 'compacted', revision: 100, isAlreadyCompacted: false});
		state = defragAll(state);
		assert.equal(effect(state)?.type, 'observe');
		assert.equal(state.step, 'disarm-check');
		const small = {alarms: nospace, dbSize: 3 * mib};
		state = walk(state, observed(healthy({a1: small, b2: small, c3: small, d4: small})));
		const disarm = effect(state);
		assert.equal(disarm?.type, 'disarm');
		assert.match((disarm as {command: string}).command, /alarm disarm +# NOSPACE only/);
		state = walk(state, {type: 'disarmed', cleared: nospace});
		state = walk(state, observed(healthy({a1: {dbSize: 3 * mib}, b2: {dbSize: 3 * mib}, c3: {dbSize: 3 * mib}, d4: {dbSize: 3 * mib}})));
		assert.equal(state.outcome?.type, 'done');
		assert.match(state.outcome!.message, /defragmented 3 members; NOSPACE disarmed/);
	});

	it('does not disarm while a member is at 90% of its quota or more, and fails', () => {
		let state = walk(initialDefragState(options({isDisarming: true, quotaFlag: 16 * mib})), observed(healthy({a1: full, b2: full, c3: full})), readsOk);
		state = defragAll(state);
		const stillFull = {alarms: nospace, dbSize: 15 * mib};
		state = walk(state, observed(healthy({a1: {alarms: nospace, dbSize: 3 * mib}, b2: stillFull, c3: {alarms: nospace, dbSize: 3 * mib}, d4: {dbSize: 3 * mib}})));
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /NOSPACE not disarmed: etcd-2 \(b2\)'s database is 93\.8% of its quota/);
	});

	it('a full learner blocks the disarm, with what to do about it', () => {
		const obs = healthy({a1: {dbSize: mib}, b2: {dbSize: mib}, c3: {dbSize: mib}, d4: {dbSize: 15 * mib}});
		const quotas = Object.fromEntries(all.map(m => [m.id, {bytes: 16 * mib, source: 'flag' as const}]));
		assert.match(disarmBlocker(obs, quotas)!, /learner etcd-4 \(d4\)'s database is 93\.8% of its quota and etcd cannot defragment a learner: remove it and add it again/);
	});

	it('does not disarm when a quota is unknown', () => {
		const obs = healthy({a1: {dbSize: mib}, b2: {dbSize: mib}, c3: {dbSize: mib}, d4: {dbSize: mib}});
		assert.match(disarmBlocker(obs, {a1: {bytes: 16 * mib, source: 'flag'}})!, /quota of etcd-2 \(b2\) is unknown/);
		assert.equal(disarmBlocker(obs, Object.fromEntries(all.map(m => [m.id, {bytes: 16 * mib, source: 'flag' as const}]))), undefined);
	});

	it('with nothing armed, it says so and succeeds', () => {
		let state = walk(initialDefragState(options({isDisarming: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		state = defragAll(state);
		state = walk(state, observed(healthy({a1: {dbSize: mib}, b2: {dbSize: mib}, c3: {dbSize: mib}, d4: {dbSize: mib}})));
		assert.equal(state.outcome?.type, 'done');
		assert.match(state.outcome!.message, /no NOSPACE alarm was armed/);
	});

	it('without --disarm, a NOSPACE still armed is pointed out', () => {
		let state = walk(initialDefragState(options({quotaFlag: 16 * mib})), observed(healthy({a1: full, b2: full, c3: full})), readsOk);
		let clock = t0;
		for (let guard = 0; guard < 5 && effect(state)?.type === 'defragment'; guard++) {
			const next = effect(state) as Extract<DefragEffect, {type: 'defragment'}>;
			clock += 1000;
			state = walk(state, {type: 'defragmented', id: next.member.id, at: clock, tookMs: 10}, observed(healthy({a1: full, b2: full, c3: full}, clock)));
		}
		assert.equal(state.outcome?.type, 'done');
		assert.match(state.outcome!.message, /NOSPACE is still armed/);
	});

	it('a NOSPACE that comes back after the disarm is a failure', () => {
		let state = walk(initialDefragState(options({isDisarming: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		state = defragAll(state);
		const small = {alarms: nospace, dbSize: mib};
		state = walk(state, observed(healthy({a1: small, b2: small, c3: small, d4: small})), {type: 'disarmed', cleared: nospace});
		state = walk(state, observed(healthy({a1: small, b2: small, c3: small, d4: small})));
		assert.equal(state.outcome?.type, 'failed');
	});

	it('a failed disarm fails the run', () => {
		let state = walk(initialDefragState(options({isDisarming: true, quotaFlag: 16 * mib})), observed(healthy()), readsOk);
		state = defragAll(state);
		const small = {alarms: nospace, dbSize: mib};
		state = walk(state, observed(healthy({a1: small, b2: small, c3: small, d4: small})), {type: 'disarm-failed', message: 'permission denied'});
		assert.equal(state.outcome?.type, 'failed');
		assert.match(state.outcome!.message, /disarm failed: permission denied/);
	});
});

describe('defrag workflow through the runner', () => {
	it('the command log says the preflight waited for an election, and who leads after it', async () => {
		const {runWorkflow} = await import('../../source/ops/runner.js');
		const {defragExecutor} = await import('../../source/ops/maintenance-run.js');
		const {defragWorkflow} = await import('../../source/ops/defrag-workflow.js');
		const {ClassifiedError} = await import('../../source/etcd/errors.js');
		let clock = t0;
		let looks = 0;
		const log: string[] = [];
		const final = await runWorkflow(defragWorkflow, initialDefragState(options({isDryRun: true})), {
			execute: defragExecutor({
				client: () => ({defragment: async () => undefined, compact: async () => ({revision: 1}), alarmList: async () => [], disarmNospace: async () => [], linearizableRead: async () => ({revision: 1})}),
				// Two looks during the election (etcd 3.5: "leader changed"), then etcd-2 leads.
				observe: async () => {
					if (looks++ < 2) throw new ClassifiedError({kind: 'no-leader', message: 'http://10.0.0.2:2379: etcdserver: leader changed'});
					return healthy({}, clock);
				},
				readQuota: async () => undefined,
				confirm: async () => true,
				commandTimeoutMs: 1000,
				now: () => clock,
				sleep: async ms => void (clock += ms),
			}),
			log: entry => log.push(`[${entry.step}] ${entry.command} -> ${entry.result}`),
			now: () => clock,
		});
		assert.equal(final.outcome?.type, 'planned', final.outcome?.message);
		assert.equal(looks, 3);
		assert.match(log[0]!, /^\[preflight\] etcdctl --endpoints=http:\/\/10\.0\.0\.1:2379 endpoint status --cluster -w table -> waited 0\.6s for an election \(no-leader: http:\/\/10\.0\.0\.2:2379: etcdserver: leader changed\); etcd-2 \(b2\) leads$/);
	});

	it('logs every change with its etcdctl line, disarms NOSPACE only, and sends each defrag to its member', async () => {
		const {runWorkflow} = await import('../../source/ops/runner.js');
		const {defragExecutor} = await import('../../source/ops/maintenance-run.js');
		const {defragWorkflow} = await import('../../source/ops/defrag-workflow.js');
		const calls: string[] = [];
		const alarms: Alarm[] = [{memberId: 'a1', alarm: 'NOSPACE'}, {memberId: 'b2', alarm: 'CORRUPT'}];
		let round = 0;
		const client = (endpoint: string) => ({
			defragment: async (timeoutMs: number) => void calls.push(`defrag ${endpoint} ${timeoutMs}`),
			compact: async (revision: number) => (calls.push(`compact ${endpoint} ${revision}`), {revision}),
			alarmList: async () => alarms,
			disarmNospace: async (id: string) => (calls.push(`disarm ${id}`), []),
			linearizableRead: async () => (calls.push(`read ${endpoint}`), {revision: 1}),
		});
		const small = {dbSize: mib, alarms: [{memberId: 'a1', alarm: 'NOSPACE' as const}]};
		const log: string[] = [];
		const final = await runWorkflow(defragWorkflow, initialDefragState(options({isCompacting: true, isDisarming: true, quotaFlag: 16 * mib})), {
			execute: defragExecutor({
				client,
				// the first observation shows NOSPACE; CORRUPT reaches etcd's list only (as if raised later)
				observe: async () => (round++ === 0 ? healthy({a1: small, b2: small, c3: small, d4: small}) : healthy({a1: small, b2: small, c3: small, d4: small}, t0 + round)),
				readQuota: async () => undefined,
				confirm: async () => true,
				commandTimeoutMs: 1000,
			}),
			log: entry => log.push(`[${entry.step}] ${entry.command} -> ${entry.result}`),
		});
		// The disarm left CORRUPT alone; the status answers still show NOSPACE (fake), so the run reports it.
		assert.ok(calls.includes('disarm a1'));
		assert.ok(!calls.some(call => call === 'disarm b2'));
		assert.deepEqual(calls.filter(call => call.startsWith('defrag')).map(call => call.split(' ')[1]), ['http://10.0.0.1:2379', 'http://10.0.0.3:2379', 'http://10.0.0.2:2379']);
		assert.ok(calls.filter(call => call.startsWith('read')).length === 3);
		assert.match(log.find(line => line.startsWith('[compact]'))!, /etcdctl --endpoints=http:\/\/10\.0\.0\.2:2379 compact 100 --physical -> ok/);
		assert.equal(log.filter(line => line.startsWith('[defrag]')).length, 3);
		assert.match(log.find(line => line.startsWith('[disarm]'))!, /alarm disarm +# NOSPACE only -> ok: NOSPACE cleared for a1/);
		assert.equal(final.outcome?.type, 'failed');
		assert.match(final.outcome!.message, /NOSPACE is still reported/);
	});
});
