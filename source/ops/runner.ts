/**
 * The one workflow runner. A workflow is a pure machine; the runner drives it and writes the command log.
 *
 *   workflow.effectFor(state)  -> the next effect, or undefined when the workflow is over
 *   execute(effect, state)     -> the event the effect produced (supplied by the caller: etcd/, ssh/, or fakes)
 *   workflow.reduce(state, ev) -> the next state, published through onState
 *
 * The command log is written here and nowhere else: before an effect runs, `workflow.describe(effect, state)`
 * says how the log records it, and the compiler makes every effect answer:
 *   - `change`: changes the cluster or runs a remote command. Always logged, success or failure, with its
 *     step, its etcdctl equivalent (or the remote command line) and a result read from the event.
 *   - `read`: logged when its result says something (the first member list of a run, a hash check).
 *   - `silent`: changes nothing and runs nothing remote (a wait, the operator's typed answer).
 * An effect whose execute throws becomes `workflow.failed(effect, error)`, so a failed change is logged too,
 * and an abort (the signal) becomes `workflow.aborted(state)` before the next effect starts.
 *
 * A second workflow plugs in the same way. Defrag, one member at a time (a sketch, not code in this repo):
 *
 *   type DefragEffect = {type: 'observe'} | {type: 'defrag'; member: MemberInfo; command: string};
 *   export const defragWorkflow: Workflow<DefragState, DefragEvent, DefragEffect> = {
 *     reduce: reduceDefrag,                 // pure: 'observed' | 'defragmented' | 'defrag-failed' -> state
 *     effectFor: state => state.outcome ? undefined : state.next,
 *     describe: effect => {
 *       switch (effect.type) {              // exhaustive: a new effect type without a log line does not compile
 *         case 'observe': return {kind: 'silent', why: 'reads member status'};
 *         case 'defrag': return {kind: 'change', step: 'defrag', command: effect.command,
 *           result: event => event.type === 'defragmented' ? 'ok' : `failed: ${event.message}`};
 *       }
 *     },
 *     failed: (effect, error) => ({type: 'defrag-failed', message: classifyError(error).message}),
 *     aborted: () => ({type: 'cancelled'}),
 *   };
 *   await runWorkflow(defragWorkflow, initialDefrag(plan), {
 *     execute: async effect => effect.type === 'defrag' ? (await client(effect.member).defragment(timeoutMs), {type: 'defragmented'}) : observe(),
 *     log: entry => commandLog.add(entry),
 *     onState, signal,
 *   });
 */

export interface CommandLogEntry {
	readonly at: number;
	readonly step: string;
	/** The etcdctl equivalent, or the remote command line as sent (quoted by the one quote function). */
	readonly command: string;
	readonly result: string;
}

/** A result line; `command` replaces the declared one when the effect learns how it ran (the SSH host). */
export type LogResult = string | {readonly text: string; readonly command: string};

/** How the command log records one effect; see the top of this file. */
export type EffectLog<Event> =
	| {readonly kind: 'change'; readonly step: string; readonly command: string; readonly result: (event: Event) => LogResult}
	| {readonly kind: 'read'; readonly step: string; readonly command: string; readonly result: (event: Event) => LogResult | undefined}
	| {readonly kind: 'silent'; readonly why: string};

export interface Workflow<State, Event, Effect> {
	readonly reduce: (state: State, event: Event) => State;
	readonly effectFor: (state: State) => Effect | undefined;
	readonly describe: (effect: Effect, state: State) => EffectLog<Event>;
	/** The event an effect becomes when execute throws. */
	readonly failed: (effect: Effect, error: unknown) => Event;
	/** The event that ends the run when the signal aborts before the next effect. */
	readonly aborted: (state: State) => Event;
}

export interface RunOptions<State, Event, Effect> {
	/** Performs one effect against the world; the state is the one the effect came from. */
	readonly execute: (effect: Effect, state: State) => Promise<Event>;
	readonly log: (entry: CommandLogEntry) => void;
	readonly onState?: (state: State) => void;
	readonly signal?: AbortSignal;
	readonly now?: () => number;
}

function logLine(description: {readonly step: string; readonly command: string}, result: LogResult | undefined, at: number): CommandLogEntry | undefined {
	if (result === undefined) return undefined;
	return typeof result === 'string'
		? {at, step: description.step, command: description.command, result}
		: {at, step: description.step, command: result.command, result: result.text};
}

/** Runs the machine to its end: effect -> execute -> event -> reduce, until no effect is left. */
export async function runWorkflow<State, Event, Effect>(workflow: Workflow<State, Event, Effect>, initial: State, options: RunOptions<State, Event, Effect>): Promise<State> {
	const now = options.now ?? Date.now;
	let state = initial;
	options.onState?.(state);
	for (let effect = workflow.effectFor(state); effect !== undefined; effect = workflow.effectFor(state)) {
		if (options.signal?.aborted) {
			state = workflow.reduce(state, workflow.aborted(state));
			options.onState?.(state);
			break;
		}
		const description = workflow.describe(effect, state);
		let event: Event;
		try {
			event = await options.execute(effect, state);
		} catch (error) {
			event = workflow.failed(effect, error);
		}
		const entry = description.kind === 'silent' ? undefined : logLine(description, description.result(event), now());
		if (entry) options.log(entry);
		state = workflow.reduce(state, event);
		options.onState?.(state);
	}
	return state;
}
