import type {Alarm} from '../etcd/types.js';
import type {EffectLog} from './runner.js';

// What the maintenance workflows (defrag, compact, alarm disarm) share: how the runner logs each change, so
// `defrag --compact --disarm` logs a compaction or a disarm exactly as `etcdtop compact` and `etcdtop alarm
// disarm` do. Their etcdctl lines are ops/commands.ts's (every etcdctl line is built there);
// ops/maintenance-run.ts performs them.

/** The operator's typed answer, the same in every maintenance workflow: the word, what will happen, the etcdctl lines. */
export interface ConfirmEffect {
	readonly type: 'confirm';
	readonly expected: string;
	readonly summary: readonly string[];
	readonly commands: readonly string[];
}

export type CompactResult = {readonly type: 'compacted'; readonly revision: number; readonly isAlreadyCompacted: boolean} | {readonly type: 'compact-failed'; readonly message: string};
export type DisarmResult = {readonly type: 'disarmed'; readonly cleared: readonly Alarm[]} | {readonly type: 'disarm-failed'; readonly message: string};

const isCompactResult = (event: {readonly type: string}): event is CompactResult => event.type === 'compacted' || event.type === 'compact-failed';
const isDisarmResult = (event: {readonly type: string}): event is DisarmResult => event.type === 'disarmed' || event.type === 'disarm-failed';

export const observeLog = {kind: 'silent', why: 'reads the member list and each member\'s status'} as const;
export const confirmLog = {kind: 'silent', why: 'the operator\'s typed answer'} as const;

/** How the runner logs a compaction. */
export function compactLog(command: string): EffectLog<{readonly type: string}> {
	return {
		kind: 'change',
		step: 'compact',
		command,
		result: event => (!isCompactResult(event) ? event.type : event.type === 'compacted' ? (event.isAlreadyCompacted ? 'already compacted' : 'ok') : `failed: ${event.message}`),
	};
}

/** How the runner logs a NOSPACE disarm. */
export function disarmLog(command: string): EffectLog<{readonly type: string}> {
	return {
		kind: 'change',
		step: 'disarm',
		command,
		result: event =>
			!isDisarmResult(event) ? event.type : event.type === 'disarmed' ? `ok: NOSPACE cleared for ${event.cleared.map(alarm => alarm.memberId).join(', ') || 'no member (none was armed)'}` : `failed: ${event.message}`,
	};
}
