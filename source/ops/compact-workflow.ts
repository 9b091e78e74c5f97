import {classifyError} from '../etcd/errors.js';
import type {Alarm} from '../etcd/types.js';
import {commandText, disarmCommand, etcdctl, type EtcdctlBase} from './commands.js';
import {disarmBlocker, type DefragState} from './defrag-workflow.js';
import {compactLog, confirmLog, disarmLog, observeLog, type CompactResult, type ConfirmEffect, type DisarmResult} from './maintenance-steps.js';
import {observedLeader, requestEndpoint, type Observation} from '../model/observation.js';
import type {EffectLog, Workflow} from './runner.js';

/**
 * `etcdtop compact` and `etcdtop alarm disarm` as small machines on the one runner, so each change is
 * logged with its etcdctl line like every other: look at the cluster, decide on what it says, confirm,
 * change, look again.
 */

export type CompactTarget = {readonly kind: 'current'} | {readonly kind: 'revision'; readonly revision: number} | {readonly kind: 'keep'; readonly revisions: number};

export interface CompactOptions {
	readonly target: CompactTarget;
	readonly isPreConfirmed: boolean;
	readonly connection: EtcdctlBase;
}

export type CompactEffect =
	| {readonly type: 'observe'}
	| ConfirmEffect
	| {readonly type: 'compact'; readonly revision: number; readonly endpoint: string; readonly dbSize: number; readonly command: string};

export type CompactEvent =
	| {readonly type: 'observed'; readonly observation: Observation}
	| {readonly type: 'observe-failed'; readonly message: string}
	| {readonly type: 'confirmed'}
	| {readonly type: 'cancelled'; readonly reason?: string}
	| CompactResult;

export type ChangeOutcome =
	| {readonly type: 'done'; readonly message: string}
	| {readonly type: 'refused'; readonly message: string}
	| {readonly type: 'cancelled'; readonly message: string}
	| {readonly type: 'failed'; readonly message: string};

export interface CompactState {
	readonly options: CompactOptions;
	readonly observation: Observation | undefined;
	readonly revision: number | undefined;
	readonly next: CompactEffect | undefined;
	readonly outcome: ChangeOutcome | undefined;
}

export const compactWord = 'compact';

export function initialCompactState(options: CompactOptions): CompactState {
	return {options, observation: undefined, revision: undefined, next: {type: 'observe'}, outcome: undefined};
}

export function reduceCompact(state: CompactState, event: CompactEvent): CompactState {
	if (state.outcome) return state;
	const end = (outcome: ChangeOutcome): CompactState => ({...state, next: undefined, outcome});
	switch (event.type) {
		case 'observed': {
			const observation = event.observation;
			const endpoint = requestEndpoint(observation);
			if (!endpoint || observedLeader(observation) === undefined) return end({type: 'refused', message: 'the cluster has no leader: a compaction is a raft request and cannot commit; nothing was changed'});
			const current = Math.max(...Object.values(observation.statuses).map(status => status.revision));
			const {target} = state.options;
			const revision = target.kind === 'current' ? current : target.kind === 'revision' ? target.revision : current - target.revisions;
			if (target.kind === 'revision' && revision > current) return end({type: 'refused', message: `revision ${revision} is in the future: the current revision is ${current}; nothing was changed`});
			if (revision < 1) return end({type: 'done', message: `the current revision is ${current}: keeping ${target.kind === 'keep' ? target.revisions : 0} revisions leaves nothing to compact`});
			const dbSize = Math.max(0, ...Object.values(observation.statuses).map(status => status.dbSize));
			const command = commandText(etcdctl.compact(state.options.connection, endpoint, revision));
			const compact: CompactEffect = {type: 'compact', revision, endpoint, dbSize, command};
			const summary = [`compact to revision ${revision} (current ${current}): every older revision of every key is deleted for good; watches and reads below ${revision} will fail`];
			return {...state, observation, revision, next: state.options.isPreConfirmed ? compact : {type: 'confirm', expected: compactWord, summary, commands: [command]}};
		}
		case 'observe-failed':
			return end({type: 'refused', message: `no member answered the member list (${event.message}); nothing was changed`});
		case 'confirmed': {
			const observation = state.observation!;
			const endpoint = requestEndpoint(observation)!;
			const dbSize = Math.max(0, ...Object.values(observation.statuses).map(status => status.dbSize));
			return {...state, next: {type: 'compact', revision: state.revision!, endpoint, dbSize, command: commandText(etcdctl.compact(state.options.connection, endpoint, state.revision!))}};
		}
		case 'cancelled':
			return end({type: 'cancelled', message: event.reason ?? 'not confirmed; nothing was changed'});
		case 'compacted':
			return end({type: 'done', message: event.isAlreadyCompacted ? `already compacted at or past revision ${event.revision}` : `compacted to revision ${event.revision}`});
		case 'compact-failed':
			return end({type: 'failed', message: `compaction failed: ${event.message}`});
	}
}

function describeCompact(effect: CompactEffect): EffectLog<CompactEvent> {
	switch (effect.type) {
		case 'observe':
			return observeLog;
		case 'confirm':
			return confirmLog;
		case 'compact':
			return compactLog(effect.command);
	}
}

function failureText(error: unknown): string {
	const failure = classifyError(error);
	return `${failure.kind}: ${failure.message}`;
}

export const compactWorkflow: Workflow<CompactState, CompactEvent, CompactEffect> = {
	reduce: reduceCompact,
	effectFor: state => (state.outcome ? undefined : state.next),
	describe: describeCompact,
	failed: (effect, error) =>
		effect.type === 'observe' ? {type: 'observe-failed', message: failureText(error)} : effect.type === 'confirm' ? {type: 'cancelled', reason: failureText(error)} : {type: 'compact-failed', message: failureText(error)},
	aborted: () => ({type: 'cancelled', reason: 'stopped before the compaction'}),
};

// --- alarm disarm -----------------------------------------------------------------------------------

export interface DisarmOptions {
	readonly quotas: DefragState['quotas'];
	readonly connection: EtcdctlBase;
}

export type DisarmEffect = {readonly type: 'observe'} | {readonly type: 'disarm'; readonly endpoint: string; readonly command: string};

export type DisarmEvent =
	| {readonly type: 'observed'; readonly observation: Observation}
	| {readonly type: 'observe-failed'; readonly message: string}
	| DisarmResult
	| {readonly type: 'cancelled'; readonly reason?: string};

export interface DisarmState {
	readonly options: DisarmOptions;
	readonly cleared: readonly Alarm[] | undefined;
	readonly notes: readonly string[];
	readonly next: DisarmEffect | undefined;
	readonly outcome: ChangeOutcome | undefined;
}

export function initialDisarmState(options: DisarmOptions): DisarmState {
	return {options, cleared: undefined, notes: [], next: {type: 'observe'}, outcome: undefined};
}

/** Known quotas only: a member whose quota is unknown does not block an explicit `alarm disarm` (it is said). */
export function reduceDisarm(state: DisarmState, event: DisarmEvent): DisarmState {
	if (state.outcome) return state;
	const end = (outcome: ChangeOutcome, notes = state.notes): DisarmState => ({...state, notes, next: undefined, outcome});
	switch (event.type) {
		case 'observed': {
			const observation = event.observation;
			const alarms = Object.values(observation.statuses).flatMap(status => status.alarms);
			if (state.cleared !== undefined) {
				const left = alarms.filter(alarm => alarm.alarm === 'NOSPACE');
				return left.length > 0 ? end({type: 'failed', message: 'NOSPACE is still reported after the disarm: the database filled again; compact and defragment first'}) : end({type: 'done', message: `NOSPACE disarmed${state.cleared.length === 0 ? ' (none was armed)' : ''}`});
			}
			const endpoint = requestEndpoint(observation);
			if (!endpoint || observedLeader(observation) === undefined) return end({type: 'refused', message: 'the cluster has no leader: a disarm is a raft request and cannot commit; nothing was changed'});
			const known = Object.fromEntries(Object.entries(state.options.quotas).filter(([id]) => observation.statuses[id] !== undefined));
			const knownObservation: Observation = {...observation, members: observation.members.filter(member => known[member.id] !== undefined)};
			const blocker = knownObservation.members.length > 0 ? disarmBlocker(knownObservation, known) : undefined;
			if (blocker) return end({type: 'refused', message: `${blocker}; compact and defragment first (etcdtop defrag --compact --disarm); nothing was changed`});
			const unknown = observation.members.filter(member => known[member.id] === undefined).map(member => member.name || member.id);
			const notes = [
				...state.notes,
				...(unknown.length > 0 ? [`quota unknown for ${unknown.join(', ')}: cannot check it is below 90% (give --quota-backend-bytes)`] : []),
				...(alarms.some(alarm => alarm.alarm === 'CORRUPT') ? ['CORRUPT stays armed: etcdtop never disarms it; find the diverged member with etcdtop check consistency'] : []),
			];
			return {...state, notes, next: {type: 'disarm', endpoint, command: disarmCommand(state.options.connection, endpoint)}};
		}
		case 'observe-failed':
			return end({type: state.cleared === undefined ? 'refused' : 'failed', message: `no member answered the member list (${event.message})`});
		case 'disarmed':
			return {...state, cleared: event.cleared, next: {type: 'observe'}};
		case 'disarm-failed':
			return end({type: 'failed', message: `disarm failed: ${event.message}`});
		case 'cancelled':
			return end({type: 'cancelled', message: event.reason ?? 'stopped'});
	}
}

export const disarmWorkflow: Workflow<DisarmState, DisarmEvent, DisarmEffect> = {
	reduce: reduceDisarm,
	effectFor: state => (state.outcome ? undefined : state.next),
	describe: effect => (effect.type === 'observe' ? observeLog : disarmLog(effect.command)),
	failed: (effect, error) => (effect.type === 'observe' ? {type: 'observe-failed', message: failureText(error)} : {type: 'disarm-failed', message: failureText(error)}),
	aborted: () => ({type: 'cancelled', reason: 'stopped before the disarm'}),
};
