import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runWorkflow, type CommandLogEntry, type EffectLog, type Workflow} from '../../source/ops/runner.js';

/** A toy second workflow: defragment each member in turn, reading status first. */
type Effect = {readonly type: 'read'} | {readonly type: 'defrag'; readonly member: string} | {readonly type: 'wait'};
type Event = {readonly type: 'read-done'; readonly count: number} | {readonly type: 'read-failed'} | {readonly type: 'defragmented'} | {readonly type: 'defrag-failed'; readonly message: string} | {readonly type: 'waited'} | {readonly type: 'cancelled'};
interface State {
	readonly todo: readonly string[];
	readonly hasRead: boolean;
	readonly failures: number;
	readonly isWaiting: boolean;
	readonly outcome: 'done' | 'cancelled' | 'failed' | undefined;
}

const toy: Workflow<State, Event, Effect> = {
	reduce: (state, event) => {
		switch (event.type) {
			case 'read-done':
				return {...state, hasRead: true};
			case 'read-failed':
				return {...state, hasRead: true};
			case 'defragmented': {
				const todo = state.todo.slice(1);
				return {...state, todo, isWaiting: todo.length > 0, outcome: todo.length === 0 ? 'done' : undefined};
			}
			case 'defrag-failed':
				return state.failures >= 1 ? {...state, outcome: 'failed'} : {...state, failures: state.failures + 1};
			case 'waited':
				return {...state, isWaiting: false};
			case 'cancelled':
				return {...state, outcome: 'cancelled'};
		}
	},
	effectFor: state => {
		if (state.outcome) return undefined;
		if (!state.hasRead) return {type: 'read'};
		if (state.isWaiting) return {type: 'wait'};
		return {type: 'defrag', member: state.todo[0]!};
	},
	describe: (effect): EffectLog<Event> => {
		switch (effect.type) {
			case 'read':
				return {kind: 'read', step: 'assess', command: 'etcdctl endpoint status', result: event => (event.type === 'read-done' ? `${event.count} members` : undefined)};
			case 'defrag':
				return {kind: 'change', step: 'defrag', command: `etcdctl defrag --endpoints=${effect.member}`, result: event => (event.type === 'defrag-failed' ? `failed: ${event.message}` : 'ok')};
			case 'wait':
				return {kind: 'silent', why: 'a pause between members'};
		}
	},
	failed: (effect, error) => (effect.type === 'read' ? {type: 'read-failed'} : {type: 'defrag-failed', message: error instanceof Error ? error.message : String(error)}),
	aborted: () => ({type: 'cancelled'}),
};

const start: State = {todo: ['m1', 'm2'], hasRead: false, failures: 0, isWaiting: false, outcome: undefined};

async function run(execute: (effect: Effect) => Promise<Event>, signal?: AbortSignal) {
	const log: CommandLogEntry[] = [];
	const states: State[] = [];
	const final = await runWorkflow(toy, start, {execute, log: entry => log.push(entry), onState: state => states.push(state), now: () => 7, ...(signal ? {signal} : {})});
	return {final, log, states};
}

test('the runner logs every change and informative read, never a silent effect, each with its command', async () => {
	const executed: string[] = [];
	const {final, log, states} = await run(async effect => {
		executed.push(effect.type === 'defrag' ? `defrag ${effect.member}` : effect.type);
		if (effect.type === 'read') return {type: 'read-done', count: 2};
		if (effect.type === 'wait') return {type: 'waited'};
		return {type: 'defragmented'};
	});
	assert.equal(final.outcome, 'done');
	assert.deepEqual(executed, ['read', 'defrag m1', 'wait', 'defrag m2']);
	assert.deepEqual(log, [
		{at: 7, step: 'assess', command: 'etcdctl endpoint status', result: '2 members'},
		{at: 7, step: 'defrag', command: 'etcdctl defrag --endpoints=m1', result: 'ok'},
		{at: 7, step: 'defrag', command: 'etcdctl defrag --endpoints=m2', result: 'ok'},
	]);
	// The first state, then one per event.
	assert.equal(states.length, 5);
	assert.equal(states[0], start);
});

test('an effect that throws is still logged, as the workflow reads its failure', async () => {
	const {final, log} = await run(async effect => {
		if (effect.type === 'read') throw new Error('no member answered');
		if (effect.type === 'defrag') throw new Error('DEADLINE_EXCEEDED');
		return {type: 'waited'};
	});
	assert.equal(final.outcome, 'failed');
	// The failed read has nothing to say; both failed changes are in the log.
	assert.deepEqual(
		log.map(entry => `${entry.step}: ${entry.command} -> ${entry.result}`),
		['defrag: etcdctl defrag --endpoints=m1 -> failed: DEADLINE_EXCEEDED', 'defrag: etcdctl defrag --endpoints=m1 -> failed: DEADLINE_EXCEEDED'],
	);
});

test('an abort ends the run before the next effect, and the final state is published', async () => {
	const controller = new AbortController();
	const executed: string[] = [];
	const {final, states, log} = await run(async effect => {
		executed.push(effect.type);
		if (effect.type === 'read') {
			controller.abort();
			return {type: 'read-done', count: 2};
		}
		return {type: 'defragmented'};
	}, controller.signal);
	assert.equal(final.outcome, 'cancelled');
	assert.deepEqual(executed, ['read']);
	assert.equal(states.at(-1), final);
	assert.equal(log.length, 1);
});

test('a workflow whose describe forgets an effect does not compile', () => {
	const partial: Workflow<State, Event, Effect> = {
		...toy,
		// @ts-expect-error -- 'wait' has no log description: the function may return undefined.
		describe: (effect): EffectLog<Event> => {
			switch (effect.type) {
				case 'read':
					return {kind: 'silent', why: 'test'};
				case 'defrag':
					return {kind: 'silent', why: 'test'};
			}
		},
	};
	assert.ok(partial);
});
