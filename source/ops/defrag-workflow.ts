import {defragDeadlineMs} from '../etcd/maintenance.js';
import type {Alarm, EndpointStatus, MemberInfo} from '../etcd/types.js';
import {commandText, disarmCommand, etcdctl, type EtcdctlBase} from './commands.js';
import {evaluateRule, type Rule} from './defrag-rule.js';
import {classifyError, isCredentialsKind, type CredentialsKind, type FailureKind} from '../etcd/errors.js';
import {answeringLeader, endpointOf, observedLeader, requestEndpoint, type Observation} from '../model/observation.js';
import {electionWaitEnded, electionWaitSpent, electionWaitStarted, nextElectionWait, type ElectionWait} from './election-wait.js';
import {compactLog, confirmLog, disarmLog, observeLog, type ConfirmEffect} from './maintenance-steps.js';
import type {EffectLog, Workflow} from './runner.js';
import {compareText} from '../model/order.js';

/**
 * The maintenance runbook as one pure machine (etcd's maintenance guide, Kubernetes' "Operating etcd
 * clusters"): preflight every voter, show the plan, optionally compact to the current revision, defragment
 * one member at a time (followers first, the leader last; a learner is skipped because etcd refuses
 * Defragment on it), wait after each until the member answers and the cluster has a leader, and optionally
 * disarm NOSPACE once every member's database is below 90% of its quota. `reduce` and `effectFor` are pure;
 * the runner executes effects through etcd/ and feeds back events.
 */

export type QuotaSource = 'status' | 'flag' | 'metrics';

export interface DefragOptions {
	readonly isCompacting: boolean;
	readonly isDisarming: boolean;
	readonly rule: Rule | undefined;
	readonly isDryRun: boolean;
	/** --yes: no typed confirmation. The preflight still applies. */
	readonly isPreConfirmed: boolean;
	/** --quota-backend-bytes, for members whose Status does not report the quota. */
	readonly quotaFlag: number | undefined;
	/** Bound of each wait after a defrag (member answers, cluster has a leader). */
	readonly settleTimeoutMs: number;
	readonly connection: EtcdctlBase;
}

export type Role = 'leader' | 'follower' | 'learner';

export interface PlannedMember {
	readonly id: string;
	readonly name: string;
	readonly endpoint: string;
	readonly role: Role;
	readonly dbSize: number;
	readonly dbSizeInUse: number;
	readonly dbSizeFree: number;
	readonly quota: number | undefined;
	readonly quotaSource: QuotaSource | undefined;
	/** In order; leader last. Skipped members sit after the planned ones. */
	readonly action: 'defrag' | 'skip';
	readonly reason: string;
}

export type Progress =
	| {readonly state: 'waiting'}
	| {readonly state: 'skipped'; readonly reason: string}
	| {readonly state: 'defragmenting'; readonly since: number}
	| {readonly state: 'settling'; readonly since: number; readonly tookMs: number}
	| {readonly state: 'done'; readonly tookMs: number; readonly dbSizeBefore: number; readonly dbSizeAfter: number | undefined}
	| {readonly state: 'failed'; readonly message: string};

export type Step = 'preflight' | 'reads' | 'quotas' | 'confirm' | 'compact' | 'catch-up' | 'defrag' | 'settle' | 'disarm-check' | 'disarm' | 'final' | 'over';

export interface Target {
	readonly id: string;
	readonly name: string;
	readonly endpoint: string;
}

export type DefragEffect =
	/** `isElectionWait`: a re-read while the preflight waits out a leader election (logged when a leader answers). */
	| {readonly type: 'observe'; readonly delayMs: number; readonly isElectionWait?: boolean}
	| {readonly type: 'read-linearizable'; readonly members: readonly Target[]; readonly timeoutMs: number}
	| {readonly type: 'read-quotas'; readonly members: readonly Target[]}
	| ConfirmEffect
	| {readonly type: 'compact'; readonly revision: number; readonly endpoint: string; readonly dbSize: number; readonly command: string}
	| {readonly type: 'defragment'; readonly member: Target; readonly dbSize: number; readonly command: string}
	| {readonly type: 'disarm'; readonly endpoint: string; readonly command: string};

export type DefragEvent =
	| {readonly type: 'observed'; readonly observation: Observation}
	/** `kind`: etcd/errors.ts's kind of the failure ('no-leader': the members answered, an election is under way). */
	| {readonly type: 'observe-failed'; readonly at: number; readonly message: string; readonly kind?: FailureKind}
	/** By member ID: why its linearizable read failed, and its kind. Empty: every read went through. */
	| {readonly type: 'reads-done'; readonly failures: Readonly<Record<string, string>>; readonly kinds?: Readonly<Record<string, FailureKind>>; readonly at?: number}
	/** By member ID: the quota read from the member's /metrics; a member missing here stays unknown. */
	| {readonly type: 'quotas-read'; readonly quotas: Readonly<Record<string, number>>; readonly failures: Readonly<Record<string, string>>}
	| {readonly type: 'confirmed'}
	| {readonly type: 'cancelled'; readonly reason?: string}
	| {readonly type: 'compacted'; readonly revision: number; readonly isAlreadyCompacted: boolean}
	| {readonly type: 'compact-failed'; readonly message: string; readonly kind?: FailureKind}
	| {readonly type: 'defragmented'; readonly id: string; readonly at: number; readonly tookMs: number}
	| {readonly type: 'defrag-failed'; readonly id: string; readonly message: string; readonly kind?: FailureKind}
	| {readonly type: 'disarmed'; readonly cleared: readonly Alarm[]}
	| {readonly type: 'disarm-failed'; readonly message: string; readonly kind?: FailureKind};

export type Outcome =
	| {readonly type: 'done'; readonly message: string}
	/** --dry-run: the plan was shown, nothing changed. */
	| {readonly type: 'planned'; readonly message: string}
	/** The preflight refused: nothing changed. */
	| {readonly type: 'refused'; readonly message: string}
	| {readonly type: 'cancelled'; readonly message: string}
	/** `credentials`: etcd refused the user for the step (3.4 refuses Defragment to a user without the root role): exit 3. */
	| {readonly type: 'failed'; readonly message: string; readonly credentials?: CredentialsKind};

export interface DefragState {
	readonly options: DefragOptions;
	readonly step: Step;
	readonly observation: Observation | undefined;
	/** Set once the preflight passed. */
	readonly plan: readonly PlannedMember[] | undefined;
	readonly quotas: Readonly<Record<string, {readonly bytes: number; readonly source: QuotaSource}>>;
	readonly progress: Readonly<Record<string, Progress>>;
	/** The member being defragmented or settled. */
	readonly current: string | undefined;
	readonly compactedTo: number | undefined;
	/**
	 * The raft index the compaction was committed at or before: the leader's committed index read right after
	 * the Compact call answered. A member defragmented before it applied the compaction does not shrink.
	 */
	readonly compactIndex: number | undefined;
	/** Members seen to have applied the compaction and finished removing the compacted keys. */
	readonly caughtUp: readonly string[];
	/** The member's dbSizeInUse at the previous read of the catch-up wait, and when its applied index got there. */
	readonly catchUp: {readonly id: string; readonly appliedAt: number | undefined; readonly dbSizeInUse: number | undefined} | undefined;
	readonly waitingSince: number | undefined;
	readonly observeFailures: number;
	/** Set while the preflight waits out a leader election (ops/election-wait.ts). */
	readonly electionWait: ElectionWait | undefined;
	readonly cleared: readonly Alarm[];
	readonly notes: readonly string[];
	readonly next: DefragEffect | undefined;
	readonly outcome: Outcome | undefined;
}

const settlePollMs = 250;
/** Between two reads of dbSizeInUse while a member removes the compacted keys (etcd does it in batches). */
const compactionPollMs = 300;
/** How long a member may keep shrinking its dbSizeInUse after applying the compaction before the defrag starts anyway. */
export const compactionDrainMs = 3000;
const maxObserveFailures = 5;
export const disarmThreshold = 0.9;
/** What the operator types to go ahead. */
export const confirmWord = 'defrag';
export const preflightReadTimeoutMs = 5000;
export const learnerReason = 'learner: etcd refuses Defragment on a learner ("rpc not supported for learner"); it is rebuilt from the leader\'s snapshot instead';

export function initialDefragState(options: DefragOptions): DefragState {
	return {
		options,
		step: 'preflight',
		observation: undefined,
		plan: undefined,
		quotas: {},
		progress: {},
		current: undefined,
		compactedTo: undefined,
		compactIndex: undefined,
		caughtUp: [],
		catchUp: undefined,
		waitingSince: undefined,
		observeFailures: 0,
		electionWait: undefined,
		cleared: [],
		notes: [],
		next: {type: 'observe', delayMs: 0},
		outcome: undefined,
	};
}

export function effectForDefrag(state: DefragState): DefragEffect | undefined {
	return state.outcome ? undefined : state.next;
}

function note(state: DefragState, ...lines: string[]): readonly string[] {
	return [...state.notes, ...lines];
}

function finish(state: DefragState, outcome: Outcome, extra: Partial<DefragState> = {}): DefragState {
	const base = {...state, ...extra};
	return {...base, step: 'over', outcome, next: undefined, current: undefined, notes: note(base, `${outcome.type}: ${outcome.message}`)};
}

function label(member: {readonly name: string; readonly id: string}): string {
	return member.name ? `${member.name} (${member.id})` : member.id;
}

function targetOf(observation: Observation | undefined, member: MemberInfo): Target {
	return {id: member.id, name: member.name, endpoint: endpointOf(observation, member) ?? ''};
}

/** dbSizeQuota from Status (etcd 3.6+); 0 or absent when the member does not say. */
function statusQuota(status: EndpointStatus): number | undefined {
	const quota = status.dbSizeQuota === undefined ? undefined : Number(status.dbSizeQuota);
	return quota !== undefined && quota > 0 ? quota : undefined;
}

/** The preflight's refusal when no member names a leader that answers: an election may be under way, and is waited out. */
const noLeader = 'the cluster has no leader';

function preflight(state: DefragState, observation: Observation): DefragState | string {
	const voters = observation.members.filter(member => !member.isLearner);
	const unreachable = voters.filter(member => observation.statuses[member.id] === undefined);
	if (unreachable.length > 0) {
		return `voter ${unreachable.map(member => `${label(member)} is unreachable (${observation.failures[member.id] ?? 'no answer'})`).join(', ')}: a defrag would leave the cluster with less than it has now; bring it back first`;
	}
	if (answeringLeader(observation) === undefined) return noLeader;
	const corrupt = Object.values(observation.statuses).flatMap(status => status.alarms).filter(alarm => alarm.alarm === 'CORRUPT');
	if (corrupt.length > 0) {
		return `CORRUPT alarm raised by member ${[...new Set(corrupt.map(alarm => alarm.memberId))].join(', ')}: a member's data differs from the others; do not defragment, find the diverged member (etcdtop check consistency) and replace it`;
	}
	return state;
}

/** The plan: followers (by name), then the leader; learners and members the rule leaves out listed as skipped. */
export function planDefrag(observation: Observation, options: DefragOptions, quotas: DefragState['quotas']): readonly PlannedMember[] {
	const leaderId = observedLeader(observation);
	const rows = observation.members.map((member): PlannedMember => {
		const status = observation.statuses[member.id];
		const role: Role = member.isLearner || status?.isLearner ? 'learner' : member.id === leaderId ? 'leader' : 'follower';
		const dbSize = status?.dbSize ?? 0;
		const dbSizeInUse = status?.dbSizeInUse ?? 0;
		const quota = quotas[member.id];
		const base = {id: member.id, name: member.name, endpoint: endpointOf(observation, member) ?? '', role, dbSize, dbSizeInUse, dbSizeFree: Math.max(0, dbSize - dbSizeInUse), quota: quota?.bytes, quotaSource: quota?.source};
		if (role === 'learner') return {...base, action: 'skip', reason: status ? learnerReason : `learner, unreachable (${observation.failures[member.id] ?? 'no answer'})`};
		if (!options.rule) return {...base, action: 'defrag', reason: role === 'leader' ? 'leader: last' : 'follower'};
		const verdict = evaluateRule(options.rule, {dbSize, dbSizeInUse, dbQuota: quota?.bytes});
		if ('problem' in verdict) return {...base, action: 'skip', reason: `rule not evaluated: ${verdict.problem}`};
		return verdict.isSelected ? {...base, action: 'defrag', reason: `rule selects it${role === 'leader' ? '; leader: last' : ''}`} : {...base, action: 'skip', reason: 'rule does not select it'};
	});
	const rank = (row: PlannedMember) => (row.action === 'skip' ? 2 : row.role === 'leader' ? 1 : 0);
	return [...rows].sort((a, b) => rank(a) - rank(b) || compareText(a.name, b.name) || compareText(a.id, b.id));
}

function quotasFromStatus(state: DefragState, observation: Observation): DefragState['quotas'] {
	const quotas: Record<string, {bytes: number; source: QuotaSource}> = {...state.quotas};
	for (const member of observation.members) {
		const status = observation.statuses[member.id];
		const fromStatus = status ? statusQuota(status) : undefined;
		if (fromStatus !== undefined) quotas[member.id] = {bytes: fromStatus, source: 'status'};
		else if (state.options.quotaFlag !== undefined) quotas[member.id] = {bytes: state.options.quotaFlag, source: 'flag'};
	}
	return quotas;
}

function afterQuotas(state: DefragState): DefragState {
	const observation = state.observation!;
	const plan = planDefrag(observation, state.options, state.quotas);
	const progress: Record<string, Progress> = {};
	for (const row of plan) progress[row.id] = row.action === 'skip' ? {state: 'skipped', reason: row.reason} : {state: 'waiting'};
	const planned = plan.filter(row => row.action === 'defrag');
	const unknownQuota = plan.filter(row => row.quota === undefined).map(row => row.name || row.id);
	const lines = [
		...(unknownQuota.length > 0 ? [`quota unknown for ${unknownQuota.join(', ')} (Status does not report it, no --quota-backend-bytes, no /metrics answer)`] : []),
		`plan: ${state.options.isCompacting ? `compact to revision ${revisionOf(observation)}, then ` : ''}defragment ${planned.length > 0 ? planned.map(row => row.name || row.id).join(', then ') : 'no member'}${state.options.isDisarming ? ', then disarm NOSPACE once every member is below 90% of its quota' : ''}`,
	];
	const next = {...state, plan, progress, notes: note(state, ...lines)};
	if (state.options.isDryRun) return finish(next, {type: 'planned', message: 'dry run: nothing was changed'});
	if (state.options.isPreConfirmed) return startChanges(next);
	return {
		...next,
		step: 'confirm',
		next: {
			type: 'confirm',
			expected: confirmWord,
			summary: lines,
			commands: commandsOf(next),
		},
	};
}

/** The cluster's revision now: the highest any member reports (the leader's, or ahead of a lagging follower). */
function revisionOf(observation: Observation): number {
	return Math.max(0, ...Object.values(observation.statuses).map(status => status.revision));
}

/** The compaction and the disarm are raft requests: the leader, else a voter that answers (model/observation.ts). */
function leaderEndpoint(observation: Observation): string {
	return requestEndpoint(observation) ?? '';
}

/** The etcdctl lines the run would send, in order, for the confirmation screen and --dry-run. */
export function commandsOf(state: DefragState): readonly string[] {
	const observation = state.observation;
	if (!observation || !state.plan) return [];
	const {connection} = state.options;
	return [
		...(state.options.isCompacting ? [commandText(etcdctl.compact(connection, leaderEndpoint(observation), revisionOf(observation)))] : []),
		...state.plan.filter(row => row.action === 'defrag').map(row => commandText(etcdctl.defrag(connection, row.endpoint, defragTimeoutFor(row.dbSize)))),
		...(state.options.isDisarming ? [disarmCommand(connection, leaderEndpoint(observation))] : []),
	];
}

/** The Defragment deadline for a member of this size (never etcdctl's 5 s). */
export const defragTimeoutFor = defragDeadlineMs;

function startChanges(state: DefragState): DefragState {
	const observation = state.observation!;
	if (state.options.isCompacting) {
		const revision = revisionOf(observation);
		const endpoint = leaderEndpoint(observation);
		const dbSize = Math.max(0, ...Object.values(observation.statuses).map(status => status.dbSize));
		return {...state, step: 'compact', next: {type: 'compact', revision, endpoint, dbSize, command: commandText(etcdctl.compact(state.options.connection, endpoint, revision))}};
	}
	return nextMember(state);
}

/** The next member to defragment: followers first, and the leader of the latest observation last. */
function nextRow(state: DefragState): PlannedMember | undefined {
	const remaining = (state.plan ?? []).filter(row => row.action === 'defrag' && state.progress[row.id]?.state === 'waiting');
	const leaderId = state.observation ? observedLeader(state.observation) : undefined;
	return remaining.find(candidate => candidate.id !== leaderId) ?? remaining[0];
}

/** After a compaction, a member is defragmented only once it has applied it (it waits in 'catch-up' until then). */
function nextMember(state: DefragState): DefragState {
	const row = nextRow(state);
	if (!row) return afterDefrags(state);
	if (state.compactedTo !== undefined && !state.caughtUp.includes(row.id)) {
		return {...state, step: 'catch-up', current: row.id, catchUp: undefined, waitingSince: undefined, next: {type: 'observe', delayMs: 0}};
	}
	const member = state.observation?.members.find(candidate => candidate.id === row.id);
	const endpoint = (member && endpointOf(state.observation, member)) ?? row.endpoint;
	const dbSize = state.observation?.statuses[row.id]?.dbSize ?? row.dbSize;
	return {
		...state,
		step: 'defrag',
		current: row.id,
		// The observation just taken is the start, within milliseconds: the reducer has no clock of its own.
		progress: {...state.progress, [row.id]: {state: 'defragmenting', since: state.observation?.at ?? 0}},
		next: {type: 'defragment', member: {id: row.id, name: row.name, endpoint}, dbSize, command: commandText(etcdctl.defrag(state.options.connection, endpoint, defragTimeoutFor(dbSize)))},
	};
}

function afterDefrags(state: DefragState): DefragState {
	const done = Object.values(state.progress).filter(progress => progress.state === 'done').length;
	if (state.options.isDisarming) return {...state, step: 'disarm-check', current: undefined, next: {type: 'observe', delayMs: 0}};
	const nospace = state.observation ? Object.values(state.observation.statuses).some(status => status.alarms.some(alarm => alarm.alarm === 'NOSPACE')) : false;
	return finish(state, {type: 'done', message: `defragmented ${done} member${done === 1 ? '' : 's'}${nospace ? '; NOSPACE is still armed: etcdtop alarm disarm (or defrag --disarm) once there is room' : ''}`});
}

/** Whether every member that answered is below 90% of a known quota; the reason when not. */
export function disarmBlocker(observation: Observation, quotas: DefragState['quotas']): string | undefined {
	for (const member of observation.members) {
		const status = observation.statuses[member.id];
		if (!status) return `${label(member)} does not answer, so its database size is unknown`;
		const quota = quotas[member.id]?.bytes;
		if (quota === undefined) return `the quota of ${label(member)} is unknown; give --quota-backend-bytes`;
		if (status.dbSize >= disarmThreshold * quota) {
			if (member.isLearner || status.isLearner) {
				return `learner ${label(member)}'s database is ${((status.dbSize / quota) * 100).toFixed(1)}% of its quota and etcd cannot defragment a learner: remove it and add it again (etcdtop member remove, then member add --learner) so it starts from a fresh, compacted snapshot, then disarm`;
			}
			return `${label(member)}'s database is ${((status.dbSize / quota) * 100).toFixed(1)}% of its quota (${status.dbSize} of ${quota} bytes), not below ${disarmThreshold * 100}%: a disarmed cluster would fill again at once`;
		}
	}
	return undefined;
}

/**
 * Compact with physical=true waits only on the member that received the call; the others apply it when raft
 * hands it to them and then remove the compacted keys in batches. Before its defrag, a member waits (within
 * --wait-timeout) until its raftAppliedIndex reaches the compaction's index, then until its dbSizeInUse stops
 * decreasing between two reads (within compactionDrainMs; past that the defrag starts anyway, with a note).
 */
function catchUp(state: DefragState, observation: Observation): DefragState {
	let base = state;
	if (base.compactIndex === undefined) {
		const leaderId = observedLeader(observation);
		const leader = leaderId === undefined ? undefined : observation.statuses[leaderId];
		const index = leader?.raftIndex ?? Math.max(0, ...Object.values(observation.statuses).map(status => status.raftIndex));
		base = {...base, compactIndex: index};
	}
	const row = nextRow(base);
	if (!row) return nextMember(base);
	const id = row.id;
	if (base.current !== id) base = {...base, current: id, catchUp: undefined, waitingSince: undefined};
	const status = observation.statuses[id];
	const name = row.name || id;
	const wait = base.catchUp?.id === id ? base.catchUp : {id, appliedAt: undefined, dbSizeInUse: undefined};
	const proceed = (line?: string) => nextMember({...base, caughtUp: [...base.caughtUp, id], catchUp: undefined, waitingSince: undefined, notes: line ? note(base, line) : base.notes});
	// etcd before 3.4 reports no applied index: nothing to wait on.
	const isApplied = status !== undefined && (status.raftAppliedIndex === 0 || status.raftAppliedIndex >= base.compactIndex!);
	if (!isApplied) {
		const since = base.waitingSince ?? observation.at;
		if (observation.at - since > base.options.settleTimeoutMs) {
			const why = status ? `had applied raft index ${status.raftAppliedIndex}, not yet the compaction's ${base.compactIndex}` : `does not answer (${observation.failures[id] ?? 'no answer'})`;
			return finish(base, {type: 'failed', message: `${label({name: row.name, id})} ${why} within ${Math.round(base.options.settleTimeoutMs / 1000)}s of the compaction; stopped before its defrag (a defrag before the compaction is applied does not shrink it)`});
		}
		return {...base, waitingSince: since, catchUp: wait, next: {type: 'observe', delayMs: settlePollMs}};
	}
	const appliedAt = wait.appliedAt ?? observation.at;
	if (wait.dbSizeInUse !== undefined && status.dbSizeInUse >= wait.dbSizeInUse) return proceed();
	if (observation.at - appliedAt > compactionDrainMs) return proceed(`${name}: its dbSizeInUse still decreased ${compactionDrainMs / 1000}s after it applied the compaction; defragmenting anyway`);
	return {...base, waitingSince: base.waitingSince ?? observation.at, catchUp: {id, appliedAt, dbSizeInUse: status.dbSizeInUse}, next: {type: 'observe', delayMs: compactionPollMs}};
}

function settle(state: DefragState, observation: Observation): DefragState {
	const id = state.current!;
	const progress = state.progress[id];
	const isBack = observation.statuses[id] !== undefined;
	const hasLeader = observedLeader(observation) !== undefined;
	if (isBack && hasLeader && progress?.state === 'settling') {
		const row = state.plan!.find(candidate => candidate.id === id)!;
		const done: Progress = {state: 'done', tookMs: progress.tookMs, dbSizeBefore: row.dbSize, dbSizeAfter: observation.statuses[id]!.dbSize};
		const after = observation.statuses[id]!.dbSize;
		return nextMember({...state, current: undefined, waitingSince: undefined, progress: {...state.progress, [id]: done}, notes: note(state, `${row.name || id}: ${row.dbSize} -> ${after} bytes; answers, leader ${observedLeader(observation)}`)});
	}
	const since = state.waitingSince ?? observation.at;
	if (observation.at - since > state.options.settleTimeoutMs) {
		const why = !isBack ? `${label({name: state.plan!.find(row => row.id === id)?.name ?? '', id})} does not answer (${observation.failures[id] ?? 'no answer'})` : noLeader;
		return finish(state, {type: 'failed', message: `after its defrag, ${why} within ${Math.round(state.options.settleTimeoutMs / 1000)}s; stopped before the next member`}, {
			progress: {...state.progress, [id]: {state: 'failed', message: why}},
		});
	}
	return {...state, waitingSince: since, next: {type: 'observe', delayMs: settlePollMs}};
}

/** Another look while an election may be under way (ops/election-wait.ts); undefined once the wait is spent. */
function waitForElection(state: DefragState, at: number, reason: string): DefragState | undefined {
	const next = nextElectionWait(state.electionWait, at, reason);
	if (!next) return undefined;
	const notes = state.electionWait ? state.notes : note(state, electionWaitStarted(reason));
	return {...state, step: 'preflight', electionWait: next.wait, notes, next: {type: 'observe', delayMs: next.delayMs, isElectionWait: true}};
}

/** A leader answers: the wait, if there was one, is over (its end is the command log's line, describeDefrag). */
function electionOver(state: DefragState): DefragState {
	return state.electionWait ? {...state, electionWait: undefined} : state;
}

export function reduceDefrag(state: DefragState, event: DefragEvent): DefragState {
	if (state.outcome) return state;
	switch (event.type) {
		case 'observed': {
			const observation = event.observation;
			const seen = {...state, observation, observeFailures: 0};
			switch (state.step) {
				case 'preflight': {
					const checked = preflight(seen, observation);
					if (typeof checked === 'string') {
						// Every voter answers but none leads: an election is under way. Decide once it is over.
						if (checked === noLeader) {
							const waiting = waitForElection(seen, observation.at, 'no member names a leader that answers');
							if (waiting) return waiting;
						}
						const spent = checked === noLeader && state.electionWait ? `: ${electionWaitSpent(state.electionWait, observation.at)}` : '';
						return finish(seen, {type: 'refused', message: `preflight: ${checked}${spent}; nothing was changed`});
					}
					const voters = observation.members.filter(member => !member.isLearner).map(member => targetOf(observation, member));
					return {...electionOver(checked), step: 'reads', quotas: quotasFromStatus(state, observation), next: {type: 'read-linearizable', members: voters, timeoutMs: preflightReadTimeoutMs}};
				}
				case 'settle':
					return settle(seen, observation);
				case 'catch-up':
					return catchUp(seen, observation);
				case 'disarm-check': {
					const blocker = disarmBlocker(observation, state.quotas);
					if (blocker) return finish(seen, {type: 'failed', message: `NOSPACE not disarmed: ${blocker}`});
					const hasNospace = Object.values(observation.statuses).some(status => status.alarms.some(alarm => alarm.alarm === 'NOSPACE'));
					if (!hasNospace) return finish(seen, {type: 'done', message: `${doneText(seen)}; no NOSPACE alarm was armed`});
					const endpoint = leaderEndpoint(observation);
					return {...seen, step: 'disarm', next: {type: 'disarm', endpoint, command: disarmCommand(state.options.connection, endpoint)}};
				}
				case 'final': {
					const left = Object.values(observation.statuses).flatMap(status => status.alarms);
					if (left.some(alarm => alarm.alarm === 'NOSPACE')) return finish(seen, {type: 'failed', message: 'NOSPACE is still reported after the disarm; the database may have filled again'});
					return finish(seen, {type: 'done', message: `${doneText(seen)}; NOSPACE disarmed`});
				}
				default:
					return seen;
			}
		}
		case 'observe-failed': {
			const failures = state.observeFailures + 1;
			if (state.step === 'preflight') {
				if (event.kind === 'no-leader') {
					const waiting = waitForElection(state, event.at, event.message);
					if (waiting) return waiting;
					return finish(state, {type: 'refused', message: `preflight: ${noLeader}: ${electionWaitSpent(state.electionWait ?? {since: event.at, attempts: 0, reason: event.message}, event.at)}; nothing was changed`});
				}
				return finish(state, {type: 'refused', message: `preflight: no member answered the member list (${event.message}); nothing was changed`});
			}
			if (failures >= maxObserveFailures) return finish(state, {type: 'failed', message: `no member answered the member list ${failures} times: ${event.message}`});
			return {...state, observeFailures: failures, next: {type: 'observe', delayMs: settlePollMs}};
		}
		case 'reads-done': {
			const failed = Object.entries(event.failures);
			// An election began between the observation and the reads: wait it out, then observe afresh.
			if (failed.length > 0 && failed.every(([id]) => event.kinds?.[id] === 'no-leader')) {
				const waiting = waitForElection({...state, step: 'preflight'}, event.at ?? state.observation?.at ?? 0, failed[0]![1]);
				if (waiting) return waiting;
			}
			if (failed.length > 0) {
				const names = failed.map(([id, message]) => `${label({id, name: state.observation?.members.find(member => member.id === id)?.name ?? ''})}: ${message}`);
				return finish(state, {type: 'refused', message: `preflight: a linearizable read failed on ${names.join('; ')}; nothing was changed`});
			}
			const missing = (state.observation?.members ?? []).filter(member => state.quotas[member.id] === undefined && state.observation?.statuses[member.id] !== undefined);
			if (missing.length > 0) return {...state, step: 'quotas', next: {type: 'read-quotas', members: missing.map(member => targetOf(state.observation, member))}};
			return afterQuotas(state);
		}
		case 'quotas-read': {
			const quotas: Record<string, {bytes: number; source: QuotaSource}> = {...state.quotas};
			for (const [id, bytes] of Object.entries(event.quotas)) if (bytes > 0) quotas[id] = {bytes, source: 'metrics'};
			return afterQuotas({...state, quotas});
		}
		case 'confirmed':
			return startChanges({...state, notes: note(state, 'confirmed')});
		case 'cancelled':
			return finish(state, {type: 'cancelled', message: event.reason ?? 'not confirmed; nothing was changed'});
		case 'compacted':
			return nextMember({...state, compactedTo: event.revision, compactIndex: undefined, caughtUp: [], notes: note(state, event.isAlreadyCompacted ? `already compacted at or past revision ${event.revision}` : `compacted to revision ${event.revision}`)});
		case 'compact-failed':
			return finish(state, {type: 'failed', message: `compaction failed: ${event.message}; no member was defragmented`, ...credentialsOf(event.kind)});
		case 'defragmented':
			if (state.step !== 'defrag' || state.current !== event.id) return state;
			return {...state, step: 'settle', waitingSince: event.at, progress: {...state.progress, [event.id]: {state: 'settling', since: event.at, tookMs: event.tookMs}}, next: {type: 'observe', delayMs: 0}};
		case 'defrag-failed': {
			const name = state.plan?.find(row => row.id === event.id)?.name || event.id;
			const pending = (state.plan ?? []).filter(row => row.action === 'defrag' && state.progress[row.id]?.state === 'waiting').map(row => row.name || row.id);
			return finish(state, {type: 'failed', message: `defragment of ${name} failed: ${event.message}${pending.length > 0 ? `; not started: ${pending.join(', ')}` : ''}`, ...credentialsOf(event.kind)}, {
				progress: {...state.progress, [event.id]: {state: 'failed', message: event.message}},
			});
		}
		case 'disarmed':
			return {...state, cleared: event.cleared, step: 'final', next: {type: 'observe', delayMs: 0}, notes: note(state, `disarmed NOSPACE raised by ${event.cleared.map(alarm => alarm.memberId).join(', ') || 'no member (none was armed)'}`)};
		case 'disarm-failed':
			return finish(state, {type: 'failed', message: `disarm failed: ${event.message}`, ...credentialsOf(event.kind)});
	}
}

/** A step etcd refused for who the operator is: the outcome says so (exit 3), not a cluster failing. */
function credentialsOf(kind: FailureKind | undefined): {readonly credentials?: CredentialsKind} {
	return isCredentialsKind(kind) ? {credentials: kind} : {};
}

function doneText(state: DefragState): string {
	const done = Object.values(state.progress).filter(progress => progress.state === 'done').length;
	return `defragmented ${done} member${done === 1 ? '' : 's'}`;
}

function describeDefrag(effect: DefragEffect, state: DefragState): EffectLog<DefragEvent> {
	const {connection} = state.options;
	switch (effect.type) {
		case 'observe':
			if (!effect.isElectionWait || !state.electionWait) return observeLog;
			return {
				kind: 'read',
				step: 'preflight',
				command: commandText(etcdctl.endpointStatus(connection)),
				result: event => {
					if (event.type !== 'observed') return undefined;
					const leader = answeringLeader(event.observation);
					return leader ? electionWaitEnded(state.electionWait!, event.observation.at, label(leader)) : undefined;
				},
			};
		case 'confirm':
			return confirmLog;
		case 'read-linearizable':
			return {
				kind: 'read',
				step: 'preflight',
				command: commandText(etcdctl.endpointHealthOf(connection, effect.members.map(member => member.endpoint))),
				result: event => (event.type !== 'reads-done' ? undefined : Object.keys(event.failures).length === 0 ? `ok: ${effect.members.length} voters answer a linearizable read` : `failed: ${Object.entries(event.failures).map(([id, message]) => `${id}: ${message}`).join('; ')}`),
			};
		case 'read-quotas':
			return {
				kind: 'read',
				step: 'quota',
				command: effect.members.map(member => `curl -s ${member.endpoint}/metrics | grep ^etcd_server_quota_backend_bytes`).join('; '),
				result: event => (event.type !== 'quotas-read' ? undefined : effect.members.map(member => `${member.name || member.id}: ${event.quotas[member.id] ?? `unknown (${event.failures[member.id] ?? 'no gauge'})`}`).join(', ')),
			};
		case 'compact':
			return compactLog(effect.command);
		case 'defragment':
			return {
				kind: 'change',
				step: 'defrag',
				command: effect.command,
				result: event => (event.type === 'defragmented' ? `ok in ${(event.tookMs / 1000).toFixed(1)}s` : event.type === 'defrag-failed' ? `failed: ${event.message}` : event.type),
			};
		case 'disarm':
			return disarmLog(effect.command);
	}
}

function failedDefrag(effect: DefragEffect, error: unknown): DefragEvent {
	const failure = classifyError(error);
	const message = `${failure.kind}: ${failure.message}`;
	switch (effect.type) {
		case 'observe':
			return {type: 'observe-failed', at: Date.now(), message, kind: failure.kind};
		case 'confirm':
			return {type: 'cancelled', reason: `the confirmation could not be asked: ${failure.message}`};
		case 'read-linearizable':
			return {type: 'reads-done', failures: Object.fromEntries(effect.members.map(member => [member.id, message])), kinds: Object.fromEntries(effect.members.map(member => [member.id, failure.kind])), at: Date.now()};
		case 'read-quotas':
			return {type: 'quotas-read', quotas: {}, failures: Object.fromEntries(effect.members.map(member => [member.id, message]))};
		case 'compact':
			return {type: 'compact-failed', message, kind: failure.kind};
		case 'defragment':
			return {type: 'defrag-failed', id: effect.member.id, message, kind: failure.kind};
		case 'disarm':
			return {type: 'disarm-failed', message, kind: failure.kind};
	}
}

/** The defrag runbook for the one runner (ops/runner.ts), which logs each change with its etcdctl line. */
export const defragWorkflow: Workflow<DefragState, DefragEvent, DefragEffect> = {
	reduce: reduceDefrag,
	effectFor: effectForDefrag,
	describe: describeDefrag,
	failed: failedDefrag,
	aborted: () => ({type: 'cancelled', reason: 'stopped before the next step; members already defragmented stay so, and running it again plans from where the cluster stands'}),
};
