import {classifyError, isCredentialsKind, type CredentialsKind, type Failure, type FailureKind} from '../etcd/errors.js';
import {findMember, isStarted} from '../model/members.js';
import {answeringIds, answeringLeader, memberListSource, observedLeader, type Observation} from '../model/observation.js';
import {electionWaitEnded, electionWaitSpent, electionWaitStarted, nextElectionWait, type ElectionWait} from './election-wait.js';
import {quorumOf} from '../model/quorum.js';
import type {MemberInfo} from '../model/types.js';
import {commandText, etcdctl, etcdServers, startCommandArgv, startSettings, type EtcdctlBase, type StartSettings} from './commands.js';
import {etcdServersLines} from './member-settings.js';
import {checkNewMember, sharesUrl, type InputProblem} from './member-urls.js';
import {describeNumbers, guardAddition, guardRemoval, type QuorumNumbers} from './quorum-guard.js';
import type {EffectLog, Workflow} from './runner.js';

/**
 * Member changes as one pure state machine: `reduce(state, event)` and `effectFor(state)`. Every decision
 * is taken on a fresh observation of the cluster (member list + each member's status), never on what an
 * earlier step believed: a second run after an interruption therefore continues where the cluster stands,
 * and a retried step cannot repeat a change that already happened.
 */
export type OperationKind = 'replace' | 'add' | 'remove' | 'promote' | 'move-leader';

export interface OperationPlan {
	readonly kind: OperationKind;
	/** replace: the failed member; remove/promote/move-leader: the member. Name or hex ID. */
	readonly target?: string;
	readonly newName?: string;
	readonly newPeerUrls: readonly string[];
	readonly newClientUrls: readonly string[];
	/** replace: default true (promoted once in sync); add: default false, as etcdctl. */
	readonly isLearner: boolean;
	readonly startCommand?: string;
	/** --yes: no typed confirmation. The quorum guard still applies. */
	readonly isPreConfirmed: boolean;
	/**
	 * The console: an addition and a leadership move wait for a typed name too (the new member's, the new
	 * leader's), so one stray key never changes the cluster. The command line confirms removals only, as
	 * etcdctl's add and move-leader do not ask.
	 */
	readonly isConfirmingEveryChange?: boolean;
	/** add: without a start command, wait for the operator to start the member (the console) instead of stopping at the add. */
	readonly isWaitingForStart?: boolean;
	/** add: a learner is promoted once in sync (the console's default, as replace does); else it stays a learner, as etcdctl. */
	readonly isPromotingLearner?: boolean;
	readonly waitTimeoutMs: number;
	/** How many "not in sync" answers to promote before giving up. */
	readonly maxPromoteAttempts: number;
	readonly connection: EtcdctlBase;
	/** By hex ID: names the console added members under that etcd does not report yet (they have not started). */
	readonly givenNames?: Readonly<Record<string, string>>;
	/** The flag names the inputs came from, for messages. */
	readonly inputs?: Partial<Record<'target' | 'name' | 'peer' | 'client', string>>;
}

export type {Observation};

/** What one client URL answered: a member's status, or the failure (`isListening`: something is there). */
export interface ClientAnswer {
	readonly url: string;
	readonly answer: string;
	readonly isListening: boolean;
}

/** The new member's client URL over the wait: the same answer since `since`; nothing listening since `silentSince`. */
export interface WaitProbe extends ClientAnswer {
	readonly since: number;
	readonly silentSince: number | undefined;
	readonly at: number;
}

export type Step = 'assess' | 'move-leader' | 'remove' | 'add' | 'start' | 'catch-up' | 'promote' | 'verify' | 'done';

export type Effect =
	/** `isElectionWait`: a re-read while a decision waits out a leader election (logged when a leader answers). */
	| {readonly type: 'observe'; readonly delayMs: number; readonly isElectionWait?: boolean}
	/** `expected`: the name to type; `verb`: what enter does on a match ("remove it", "add it"). */
	| {readonly type: 'confirm'; readonly expected: string; readonly verb: string; readonly summary: readonly string[]; readonly command: string}
	| {readonly type: 'move-leader'; readonly from: MemberInfo; readonly to: MemberInfo; readonly command: string}
	| {readonly type: 'remove-member'; readonly member: MemberInfo; readonly command: string}
	| {readonly type: 'add-member'; readonly name: string; readonly peerUrls: readonly string[]; readonly isLearner: boolean; readonly command: string}
	| {readonly type: 'run-start-command'; readonly member: {readonly name: string; readonly peerUrls: readonly string[]}; readonly argv: readonly string[]; readonly env: Readonly<Record<string, string>>}
	| {readonly type: 'promote-member'; readonly member: MemberInfo; readonly command: string};

export type OperationEvent =
	/** `newClient`: while the new member is awaited, what its client URL answers (etcd learns that URL only once it starts). */
	| {readonly type: 'observed'; readonly observation: Observation; readonly newClient?: ClientAnswer}
	/** `kind`: etcd/errors.ts's kind; 'no-leader': the members answered that an election is under way. */
	| {readonly type: 'observe-failed'; readonly at: number; readonly message: string; readonly kind?: FailureKind}
	| {readonly type: 'confirmed'}
	| {readonly type: 'cancelled'; readonly reason?: string}
	| {readonly type: 'leader-moved'}
	| {readonly type: 'member-removed'; readonly id: string}
	| {readonly type: 'member-added'; readonly member: MemberInfo}
	/** `ranAs`: the command line as it ran on the remote host (`ssh HOST LINE`), for the command log. */
	| {readonly type: 'start-command-finished'; readonly exitCode: number | null; readonly output: readonly string[]; readonly ranAs?: string}
	| {readonly type: 'promoted'}
	| {readonly type: 'promote-not-in-sync'; readonly message: string}
	/** etcd's strict reconfiguration check: a member joined or came back less than 5s ago. Try again shortly. */
	| {readonly type: 'change-deferred'; readonly action: Effect['type']; readonly message: string}
	| {readonly type: 'action-failed'; readonly action: Effect['type']; readonly message: string; readonly kind?: FailureKind};

export type Outcome =
	| {readonly type: 'done'; readonly message: string}
	/**
	 * `problem`: the operator's input is wrong (a flag, exit 3); `credentials`: etcd refused the user or password,
	 * or the user lacks the root role the call needs (exit 3, the same words as every command's).
	 */
	| {readonly type: 'refused'; readonly message: string; readonly numbers?: QuorumNumbers; readonly problem?: InputProblem; readonly credentials?: CredentialsKind}
	| {readonly type: 'cancelled'; readonly message: string}
	| {readonly type: 'failed'; readonly message: string};

export interface CatchUp {
	readonly leaderApplied: number;
	readonly memberApplied: number | undefined;
	readonly lag: number | undefined;
}

export interface OperationState {
	readonly plan: OperationPlan;
	readonly step: Step;
	readonly observation: Observation | undefined;
	readonly numbers: QuorumNumbers | undefined;
	readonly isConfirmed: boolean;
	readonly hasRunStart: boolean;
	readonly hasMovedLeader: boolean;
	readonly promoteAttempts: number;
	readonly deferrals: number;
	readonly actionFailures: number;
	readonly observeFailures: number;
	/** Set while a change waits out a leader election (ops/election-wait.ts); cleared once a leader answers. */
	readonly electionWait: ElectionWait | undefined;
	/** When the current wait (start, catch-up, verify) began; its bound is plan.waitTimeoutMs. */
	readonly waitingSince: number | undefined;
	readonly settings: StartSettings | undefined;
	readonly catchUp: CatchUp | undefined;
	readonly waitProbe: WaitProbe | undefined;
	/** Lines for the operator, in order; the runner prints the new ones. */
	readonly notes: readonly string[];
	readonly next: Effect | undefined;
	readonly outcome: Outcome | undefined;
	/** Filled once done: the kube-apiserver --etcd-servers value. */
	readonly etcdServers: string | undefined;
}

export const observeNow: Effect = {type: 'observe', delayMs: 0};
/** Waits poll at this pace: a member's status is a cheap local call, and each tick is latency added to the change. */
const pollDelayMs = 250;
const maxActionFailures = 3;
const maxObserveFailures = 10;
/** etcd promotes a learner whose log reaches 90% of the leader's; try only from there. */
const inSyncRatio = 0.9;

export function initialState(plan: OperationPlan): OperationState {
	return {
		plan,
		step: 'assess',
		observation: undefined,
		numbers: undefined,
		isConfirmed: plan.isPreConfirmed,
		hasRunStart: false,
		hasMovedLeader: false,
		promoteAttempts: 0,
		deferrals: 0,
		actionFailures: 0,
		observeFailures: 0,
		electionWait: undefined,
		waitingSince: undefined,
		settings: undefined,
		catchUp: undefined,
		waitProbe: undefined,
		notes: [],
		next: observeNow,
		outcome: undefined,
		etcdServers: undefined,
	};
}

export function effectFor(state: OperationState): Effect | undefined {
	return state.outcome ? undefined : state.next;
}

function note(state: OperationState, ...lines: string[]): readonly string[] {
	return [...state.notes, ...lines];
}

function finish(state: OperationState, outcome: Outcome, extra: Partial<OperationState> = {}): OperationState {
	const base = {...state, ...extra};
	return {...base, outcome, next: undefined, notes: note(base, `${outcome.type}: ${outcome.message}`)};
}

export function reduce(state: OperationState, event: OperationEvent): OperationState {
	if (state.outcome) return state;
	switch (event.type) {
		case 'observed': {
			const seen = {...state, observation: event.observation, observeFailures: 0, waitProbe: nextProbe(state.waitProbe, event.observation.at, event.newClient)};
			return afterElection(seen, decide(seen, event.observation), event.observation);
		}
		case 'observe-failed': {
			// A wrong user or password, or a missing role, will not fix itself: no retries.
			if (isCredentialsKind(event.kind)) return refuseCredentials(state, {kind: event.kind, message: event.message});
			// The members answered "leader changed" or "no leader": wait the election out, then decide.
			if (event.kind === 'no-leader') {
				const waiting = waitForElection(state, event.at, event.message);
				if (waiting) return waiting;
				// Still none: say so, not "no member answered" (they did: that they have no leader).
				const words = `the cluster has no leader: ${electionWaitSpent(state.electionWait ?? {since: event.at, attempts: 0, reason: event.message}, event.at)}`;
				if (state.step === 'assess') return finish(state, {type: 'refused', message: `${words}; nothing was changed`});
				return finish(state, {type: 'failed', message: `${words}; run the same command again to continue`});
			}
			const failures = state.observeFailures + 1;
			if (failures >= maxObserveFailures) return finish(state, {type: 'failed', message: `no member answered the member list ${failures} times: ${event.message}`});
			return {...state, observeFailures: failures, next: {type: 'observe', delayMs: pollDelayMs}, notes: note(state, `no member answered the member list (${event.message}); trying again`)};
		}
		case 'confirmed':
			return {...state, isConfirmed: true, next: observeNow, notes: note(state, 'confirmed')};
		case 'cancelled':
			return finish(state, {type: 'cancelled', message: event.reason ?? 'nothing was changed by this step; the confirmation was not given'});
		case 'leader-moved':
			return {...state, actionFailures: 0, hasMovedLeader: true, next: observeNow, notes: note(state, 'leadership moved')};
		case 'member-removed':
			return {...state, actionFailures: 0, next: observeNow, notes: note(state, `removed member ${event.id}`)};
		case 'member-added':
			return {...state, actionFailures: 0, next: observeNow, notes: note(state, `added ${state.plan.newName ? `${state.plan.newName} as ` : ''}member ${event.member.id}${event.member.isLearner ? ', a learner' : ''}`)};
		case 'start-command-finished': {
			if (event.exitCode !== 0) {
				return finish(state, {type: 'failed', message: `the start command exited with ${event.exitCode ?? 'a signal'}${event.output.length > 0 ? `: ${event.output.slice(-3).join(' | ')}` : ''}`}, {hasRunStart: true});
			}
			return {...state, hasRunStart: true, next: observeNow, notes: note(state, 'start command finished (exit 0); waiting for the member to start')};
		}
		case 'promoted':
			return {...state, actionFailures: 0, next: observeNow, notes: note(state, 'promoted to voter')};
		case 'promote-not-in-sync': {
			const attempts = state.promoteAttempts + 1;
			if (attempts >= state.plan.maxPromoteAttempts) return finish(state, {type: 'failed', message: `etcd refused to promote ${attempts} times: ${event.message}`}, {promoteAttempts: attempts});
			return {...state, promoteAttempts: attempts, next: {type: 'observe', delayMs: pollDelayMs * 2}, notes: note(state, `not in sync yet (${event.message}); waiting`)};
		}
		case 'change-deferred': {
			const deferrals = state.deferrals + 1;
			if (deferrals >= state.plan.maxPromoteAttempts) return finish(state, {type: 'failed', message: `etcd deferred ${event.action} ${deferrals} times: ${event.message}`});
			return {...state, deferrals, next: {type: 'observe', delayMs: pollDelayMs}, notes: note(state, `etcd defers the change (${event.message}); trying again shortly`)};
		}
		case 'action-failed': {
			if (isCredentialsKind(event.kind)) return refuseCredentials(state, {kind: event.kind, message: event.message});
			const failures = state.actionFailures + 1;
			if (failures >= maxActionFailures) return finish(state, {type: 'failed', message: `${event.action} failed ${failures} times: ${event.message}`});
			// The change may have applied before the error: look again before deciding to repeat it.
			return {...state, actionFailures: failures, next: {type: 'observe', delayMs: pollDelayMs}, notes: note(state, `${event.action} failed (${event.message}); re-reading the cluster before trying again`)};
		}
	}
}

/** Refused by etcd for who the operator is: at the assessment nothing was changed; later, the log says what was. */
function refuseCredentials(state: OperationState, credentials: Failure & {readonly kind: CredentialsKind}): OperationState {
	const changed = state.step === 'assess' ? 'nothing was changed' : 'the log above says which steps were done; fix that and run the same command again to continue';
	return finish(state, {type: 'refused', message: `${credentials.message}; ${changed}`, credentials: credentials.kind});
}

/** Another look while an election may be under way; undefined once the wait is spent (ops/election-wait.ts). */
function waitForElection(state: OperationState, at: number, reason: string): OperationState | undefined {
	const next = nextElectionWait(state.electionWait, at, reason);
	if (!next) return undefined;
	const notes = state.electionWait ? state.notes : note(state, electionWaitStarted(reason));
	return {...state, electionWait: next.wait, notes, next: {type: 'observe', delayMs: next.delayMs, isElectionWait: true}};
}

/** The effects that change the cluster, and the confirmation that leads to one: each needs a leader to commit. */
const needsLeader: ReadonlySet<Effect['type']> = new Set(['confirm', 'move-leader', 'remove-member', 'add-member', 'promote-member']);

/**
 * A decision to change the cluster is taken with a leader that answers: while none does (it hangs or died a
 * moment ago, and the others have not elected another yet) the change would fail or time out, so the
 * machine looks again, within the election wait, and decides on that. Past the wait it goes ahead: the
 * change's own failure is retried and reported as any other.
 */
function afterElection(seen: OperationState, decided: OperationState, observation: Observation): OperationState {
	const leader = answeringLeader(observation);
	if (leader) {
		// The wait's end is the command log's line (describeEffect), printed as the others are.
		return decided.electionWait ? {...decided, electionWait: undefined} : decided;
	}
	if (decided.outcome || !decided.next || !needsLeader.has(decided.next.type) || seen.electionWait?.isSpent) return decided;
	const waiting = waitForElection(seen, observation.at, 'no member names a leader that answers');
	if (waiting) return waiting;
	const spent = {...seen.electionWait!, isSpent: true};
	return {...decided, electionWait: spent, notes: note(decided, `${electionWaitSpent(spent, observation.at)}; going ahead`)};
}

/** The wait's record of the new client URL: how long it has answered the same, how long nothing listened. */
function nextProbe(previous: WaitProbe | undefined, at: number, answer: ClientAnswer | undefined): WaitProbe | undefined {
	if (!answer) return previous && {...previous, at};
	const isSame = previous?.url === answer.url && previous.answer === answer.answer;
	const silentSince = answer.isListening ? undefined : previous?.url === answer.url && previous.silentSince !== undefined ? previous.silentSince : at;
	return {...answer, since: isSame ? previous.since : at, silentSince, at};
}

/** The new member is awaited and etcdtop knows where it will answer: the observation looks there too. */
export function awaitedClientUrl(state: OperationState): string | undefined {
	return state.step === 'start' && !state.outcome ? state.plan.newClientUrls[0] : undefined;
}

// --- decisions on a fresh observation ---------------------------------------------------------------

const reachableIds = answeringIds;

function withGivenName(plan: OperationPlan, member: MemberInfo): MemberInfo {
	const given = member.name === '' ? plan.givenNames?.[member.id] : undefined;
	return given ? {...member, name: given} : member;
}

function label(member: MemberInfo): string {
	return member.name ? `${member.name} (${member.id})` : member.id;
}

function timedOut(state: OperationState, at: number, what: string): OperationState | undefined {
	if (state.waitingSince === undefined || at - state.waitingSince <= state.plan.waitTimeoutMs) return undefined;
	return finish(state, {type: 'failed', message: `timed out after ${Math.round(state.plan.waitTimeoutMs / 1000)}s waiting for ${what}; run the same command again to continue`});
}

function waitFor(state: OperationState, step: Step, at: number, extra: Partial<OperationState> = {}): OperationState {
	return {...state, ...extra, step, waitingSince: state.step === step && state.waitingSince !== undefined ? state.waitingSince : at, next: {type: 'observe', delayMs: pollDelayMs}};
}

function endpointsOf(member: MemberInfo | undefined): readonly string[] {
	return member?.clientUrls ?? [];
}

function decide(state: OperationState, observation: Observation): OperationState {
	switch (state.plan.kind) {
		case 'replace':
			return decideReplace(state, observation);
		case 'add':
			return decideAdd(state, observation);
		case 'remove':
			return decideRemove(state, observation);
		case 'promote':
			return decidePromote(state, observation);
		case 'move-leader':
			return decideMoveLeader(state, observation);
	}
}

/** Ours: at the new peer URL, and either unstarted or started under the new name (else it is a clash). */
function newMemberOf(state: OperationState, observation: Observation): MemberInfo | undefined {
	const name = state.plan.newName;
	return observation.members.find(member => sharesUrl(member.peerUrls, state.plan.newPeerUrls) && (!isStarted(member) || name === undefined || member.name === name));
}

function targetOf(state: OperationState, observation: Observation, exclude?: MemberInfo): MemberInfo | OperationState | undefined {
	const found = findMember(observation.members, state.plan.target ?? '', exclude);
	if (found === 'ambiguous') {
		return finish(state, {type: 'refused', message: `more than one member is named "${state.plan.target}"`, problem: {input: state.plan.inputs?.target ?? 'NAME|ID', problem: `more than one member is named "${state.plan.target}"`, fix: 'give the hex member ID instead'}});
	}
	return found;
}

function isState(value: unknown): value is OperationState {
	return typeof value === 'object' && value !== null && 'plan' in value && 'notes' in value;
}

/** Which member's list the decision rests on and how it was read (linearizable on etcd 3.5+; 3.4 cannot). */
function listSourceLines(observation: Observation): string[] {
	const source = memberListSource(observation.listFrom, observation.members, observation.statuses);
	return source ? [source.text] : [];
}

/** Quorum guard, typed confirmation, leadership hand-off, removal — in that order, each re-checked on fresh data. */
function removalStep(state: OperationState, observation: Observation, target: MemberInfo, why: string): OperationState {
	// A member added from the console and not started yet has no name in etcd: the one it was added under.
	const shown = withGivenName(state.plan, target);
	const verdict = guardRemoval(observation.members, reachableIds(observation), target.id);
	const withNumbers = {...state, numbers: verdict.numbers};
	if (!verdict.isAllowed) {
		return finish(withNumbers, {type: 'refused', message: `will not remove ${label(shown)}: ${verdict.reason} [${describeNumbers(verdict.numbers)}]`, numbers: verdict.numbers});
	}
	const command = commandText(etcdctl.memberRemove(state.plan.connection, target.id));
	if (!state.isConfirmed) {
		const isReachable = observation.statuses[target.id] !== undefined;
		return {
			...withNumbers,
			step: 'remove',
			next: {
				type: 'confirm',
				expected: shown.name || shown.id,
				verb: 'remove it',
				command,
				summary: [
					`${why}: ${label(shown)} (${isReachable ? 'reachable and answering: it is not failed' : `unreachable: ${observation.failures[target.id] ?? 'no answer'}`})`,
					describeNumbers(verdict.numbers),
					...listSourceLines(observation),
					`etcdctl equivalent: ${command}`,
				],
			},
		};
	}
	const leader = observedLeader(observation);
	if (leader === target.id && observation.statuses[target.id] !== undefined) {
		const reachable = reachableIds(observation);
		const candidates = observation.members
			.filter(member => !member.isLearner && member.id !== target.id && reachable.has(member.id))
			.sort((a, b) => (observation.statuses[b.id]?.raftAppliedIndex ?? 0) - (observation.statuses[a.id]?.raftAppliedIndex ?? 0));
		const to = candidates[0];
		if (!to) return finish(withNumbers, {type: 'refused', message: `${label(shown)} leads and no other voter is reachable to take over`});
		return {
			...withNumbers,
			step: 'move-leader',
			notes: note(state, `${label(shown)} is the leader: moving leadership to ${label(to)} before removing it`),
			next: {type: 'move-leader', from: target, to, command: commandText(etcdctl.moveLeader(state.plan.connection, endpointsOf(target), to.id))},
		};
	}
	return {...withNumbers, step: 'remove', notes: note(state, `removing ${label(shown)}`), next: {type: 'remove-member', member: target, command}};
}

function addStep(state: OperationState, observation: Observation, leaving: readonly string[]): OperationState {
	const {plan} = state;
	const name = plan.newName ?? '';
	const problem = checkNewMember(
		{name, peerUrls: plan.newPeerUrls, clientUrls: plan.newClientUrls, nameInput: plan.inputs?.name ?? '--new-name', peerInput: plan.inputs?.peer ?? '--new-peer-url', clientInput: plan.inputs?.client ?? '--new-client-url'},
		observation.members,
		leaving,
	);
	if (problem) return finish(state, {type: 'refused', message: `${problem.input}: ${problem.problem}`, problem});
	if (leaving.length > 0) return state; // the caller removes first; checked now so a bad name never costs a member
	const verdict = guardAddition(observation.members.filter(member => !leaving.includes(member.id)), reachableIds(observation), plan.isLearner);
	if (!verdict.isAllowed) return finish({...state, numbers: verdict.numbers}, {type: 'refused', message: `will not add ${name}: ${verdict.reason} [${describeNumbers(verdict.numbers)}]`, numbers: verdict.numbers});
	const command = commandText(etcdctl.memberAdd(plan.connection, name, plan.newPeerUrls, plan.isLearner));
	const as = plan.isLearner ? 'as a learner' : 'as a voter';
	if (plan.isConfirmingEveryChange && !state.isConfirmed) {
		const n = verdict.numbers;
		return {
			...state,
			numbers: n,
			step: 'add',
			next: {
				type: 'confirm',
				expected: name,
				verb: 'add it',
				command,
				summary: [
					`add ${name} (${plan.newPeerUrls.join(',')}) ${as}${plan.isLearner ? (plan.isPromotingLearner ? ': no vote until it has caught up and is promoted' : ': no vote; promote it later') : ': it votes at once, before it has started'}`,
					`quorum now: ${n.voters} voters, quorum ${n.quorum}, ${n.reachableVoters} reachable, tolerates ${n.tolerance} down`,
					`quorum after the add: ${n.votersAfter} voters, quorum ${n.quorumAfter}, ${n.reachableVotersAfter} reachable until it starts, tolerates ${n.toleranceAfter} down`,
					...listSourceLines(observation),
					`etcdctl equivalent: ${command}`,
				],
			},
		};
	}
	return {
		...state,
		numbers: verdict.numbers,
		step: 'add',
		notes: note(state, `adding ${name} (${plan.newPeerUrls.join(',')}) ${as}`),
		next: {type: 'add-member', name, peerUrls: plan.newPeerUrls, isLearner: plan.isLearner, command},
	};
}

/** The new member exists: start it (or wait for the operator), let it catch up, promote, verify. */
function joinSteps(state: OperationState, observation: Observation, member: MemberInfo, isPromoting: boolean): OperationState {
	const {plan} = state;
	const name = plan.newName ?? member.name;
	if (!isStarted(member)) {
		const settings = startSettings(observation.members, {name, peerUrls: member.peerUrls, clientUrls: plan.newClientUrls});
		const expired = timedOut(state, observation.at, `${name} to start`);
		if (expired && state.step === 'start') return expired;
		const firstTime = state.settings === undefined;
		const withSettings = {...state, settings, notes: firstTime ? note(state, `${name} is added but not started`) : state.notes};
		if (plan.startCommand !== undefined && !state.hasRunStart) {
			return {
				...withSettings,
				step: 'start',
				waitingSince: observation.at,
				next: {type: 'run-start-command', member: {name, peerUrls: member.peerUrls}, argv: startCommandArgv(plan.startCommand), env: settings.env},
			};
		}
		return waitFor(withSettings, 'start', observation.at);
	}
	const status = observation.statuses[member.id];
	const leaderId = observedLeader(observation);
	const leaderApplied = leaderId ? (observation.statuses[leaderId]?.raftAppliedIndex ?? 0) : 0;
	const memberApplied = status?.raftAppliedIndex;
	const catchUp: CatchUp = {leaderApplied, memberApplied, lag: memberApplied === undefined ? undefined : Math.max(0, leaderApplied - memberApplied)};
	if (member.isLearner && isPromoting) {
		const expired = timedOut(state, observation.at, `${name} to catch up`);
		if (expired && state.step === 'catch-up') return expired;
		const isClose = memberApplied !== undefined && leaderId !== undefined && memberApplied >= leaderApplied * inSyncRatio;
		if (!isClose) return waitFor({...state, catchUp}, 'catch-up', observation.at);
		return {...state, catchUp, step: 'promote', next: {type: 'promote-member', member, command: commandText(etcdctl.memberPromote(plan.connection, member.id))}};
	}
	if (member.isLearner) {
		if (status === undefined) return waitFor({...state, catchUp}, 'catch-up', observation.at);
		return finish({...state, catchUp}, {type: 'done', message: `${label(member)} is started and answering, as a learner (promote it with: etcdtop member promote ${member.name || member.id})`}, {step: 'done', etcdServers: etcdServers(observation.members)});
	}
	// A voter now: every voter must answer and agree on one leader.
	const voters = observation.members.filter(candidate => !candidate.isLearner);
	const silent = voters.filter(voter => observation.statuses[voter.id] === undefined || !isStarted(voter));
	const leaders = new Set(voters.map(voter => observation.statuses[voter.id]?.leader).filter(id => id !== undefined && id !== '0'));
	if (silent.length > 0 || leaders.size !== 1 || leaderId === undefined) {
		const what = silent.length > 0 ? `${silent.map(label).join(', ')} to answer` : 'the voters to agree on a leader';
		const expired = timedOut(state, observation.at, what);
		if (expired && state.step === 'verify') return expired;
		return waitFor({...state, catchUp}, 'verify', observation.at);
	}
	const servers = etcdServers(observation.members);
	return finish({...state, catchUp}, {type: 'done', message: `${label(member)} is a healthy voter; ${voters.length} of ${voters.length} voters answer, quorum ${quorumOf(voters.length)}`}, {
		step: 'done',
		etcdServers: servers,
		notes: note(state, ...etcdServersLines(servers)),
	});
}

function decideReplace(state: OperationState, observation: Observation): OperationState {
	const newMember = newMemberOf(state, observation);
	const target = targetOf(state, observation, newMember);
	if (isState(target)) return target;
	if (target) {
		if (newMember === undefined) {
			// Checked before the removal, so a duplicate name or URL never costs the cluster a member.
			const checked = addStep(state, observation, [target.id]);
			if (checked.outcome) return checked;
		}
		return removalStep(state, observation, target, 'replace');
	}
	if (newMember === undefined) {
		if (state.step === 'assess') {
			// A second run after the removal finds an even number of voters (2 of 3, 4 of 5). An odd number with
			// FAILED absent more likely means a mistyped name, which must not grow a healthy cluster.
			const voters = observation.members.filter(member => !member.isLearner).length;
			if (voters % 2 === 1) {
				const problem = {
					input: state.plan.inputs?.target ?? 'FAILED',
					problem: `no member is named or numbered "${state.plan.target}", and the ${voters} voters look complete`,
					fix: 'check the name with etcdtop status; if it was removed already, use etcdtop member add',
				};
				return finish(state, {type: 'refused', message: problem.problem, problem});
			}
			return addStep({...state, notes: note(state, `${state.plan.target} is not in the member list: taken as already removed`)}, observation, []);
		}
		return addStep(state, observation, []);
	}
	return joinSteps(state, observation, newMember, true);
}

function decideAdd(state: OperationState, observation: Observation): OperationState {
	const newMember = newMemberOf(state, observation);
	if (newMember === undefined) return addStep(state, observation, []);
	if (state.plan.startCommand === undefined && !state.plan.isWaitingForStart) {
		const settings = startSettings(observation.members, {name: state.plan.newName ?? newMember.name, peerUrls: newMember.peerUrls, clientUrls: state.plan.newClientUrls});
		return finish({...state, settings}, {type: 'done', message: `${label(newMember)} is in the member list${isStarted(newMember) ? '' : '; start it with the settings above'}`}, {step: 'done'});
	}
	return joinSteps(state, observation, newMember, state.plan.isPromotingLearner ?? false);
}

/** The named member is not in the list: refused, naming the input that named it. */
function refuseUnknownTarget(state: OperationState): OperationState {
	const problem = {input: state.plan.inputs?.target ?? 'NAME|ID', problem: `no member is named or numbered "${state.plan.target}"`, fix: 'see etcdtop status for names and IDs'};
	return finish(state, {type: 'refused', message: problem.problem, problem});
}

function decideRemove(state: OperationState, observation: Observation): OperationState {
	const target = targetOf(state, observation);
	if (isState(target)) return target;
	if (!target) {
		if (state.step === 'remove') return finish(state, {type: 'done', message: `${state.plan.target} is no longer a member`}, {step: 'done', etcdServers: etcdServers(observation.members)});
		return refuseUnknownTarget(state);
	}
	return removalStep(state, observation, target, 'remove');
}

function decidePromote(state: OperationState, observation: Observation): OperationState {
	const target = targetOf(state, observation);
	if (isState(target)) return target;
	if (!target) {
		return refuseUnknownTarget(state);
	}
	if (!target.isLearner && state.step === 'assess') return finish(state, {type: 'done', message: `${label(target)} is already a voter`}, {step: 'done'});
	return joinSteps({...state, plan: {...state.plan, newName: target.name}}, observation, target, true);
}

function decideMoveLeader(state: OperationState, observation: Observation): OperationState {
	const target = targetOf(state, observation);
	if (isState(target)) return target;
	if (!target) {
		return refuseUnknownTarget(state);
	}
	const leaderId = observedLeader(observation);
	if (leaderId === target.id) return finish(state, {type: 'done', message: `${label(target)} leads`}, {step: 'done'});
	if (target.isLearner) return finish(state, {type: 'refused', message: `${label(target)} is a learner; only a voter can lead`});
	if (observation.statuses[target.id] === undefined) return finish(state, {type: 'refused', message: `${label(target)} does not answer; leadership can only move to a healthy voter`});
	const leader = observation.members.find(member => member.id === leaderId);
	if (!leader || observation.statuses[leader.id] === undefined) {
		const expired = timedOut(state, observation.at, 'a leader');
		if (expired) return expired;
		return waitFor(state, 'move-leader', observation.at);
	}
	if (state.hasMovedLeader) {
		// Moved, but the members that answered have not all heard of it yet.
		const expired = state.step === 'verify' ? timedOut(state, observation.at, `${label(target)} to lead`) : undefined;
		return expired ?? waitFor(state, 'verify', observation.at);
	}
	const command = commandText(etcdctl.moveLeader(state.plan.connection, endpointsOf(leader), target.id));
	if (state.plan.isConfirmingEveryChange && !state.isConfirmed) {
		return {
			...state,
			step: 'move-leader',
			next: {
				type: 'confirm',
				expected: target.name || target.id,
				verb: 'move leadership',
				command,
				summary: [
					`move leadership from ${label(leader)} to ${label(target)}: an election at once; writes pause until ${label(target)} leads (usually under a second)`,
					`etcdctl equivalent: ${command}`,
				],
			},
		};
	}
	return {...state, step: 'move-leader', next: {type: 'move-leader', from: leader, to: target, command}};
}


// --- the machine as the runner drives it ----------------------------------------------------------------

const notInSync = /in sync with leader|not in sync|learner.*not.*ready/i;
/** etcd's --strict-reconfig-check answers while a member joined or returned less than 5s ago. */
const deferredChange = /unhealthy cluster|too many learner/i;

function rawMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** A thrown call becomes an event: "not in sync" and "try again shortly" are answers, not failures. */
function failedEvent(effect: Effect, error: unknown): OperationEvent {
	switch (effect.type) {
		case 'confirm':
			return {type: 'cancelled', reason: `the confirmation could not be read (${rawMessage(error)}); nothing was changed by this step`};
		case 'run-start-command':
			return {type: 'action-failed', action: effect.type, message: rawMessage(error)};
		case 'promote-member':
			if (notInSync.test(rawMessage(error))) return {type: 'promote-not-in-sync', message: classifyError(error).message};
			break;
		case 'observe':
		case 'move-leader':
		case 'remove-member':
		case 'add-member':
			break;
	}
	if (deferredChange.test(rawMessage(error))) return {type: 'change-deferred', action: effect.type, message: classifyError(error).message};
	const {kind, message} = classifyError(error);
	return {type: 'action-failed', action: effect.type, message, kind};
}

/** The log's result for a change: `ok`, `not yet: …` or `failed: …`. */
function changeResult(event: OperationEvent): string {
	switch (event.type) {
		case 'leader-moved':
		case 'member-removed':
		case 'promoted':
		case 'confirmed':
		case 'observed':
			return 'ok';
		case 'member-added':
			return `ok: member ${event.member.id}`;
		case 'start-command-finished':
			return `exit ${event.exitCode ?? 'signal'}`;
		case 'promote-not-in-sync':
			return `not yet: ${event.message}`;
		case 'change-deferred':
		case 'action-failed':
		case 'observe-failed':
			return `failed: ${event.message}`;
		case 'cancelled':
			return `cancelled${event.reason ? `: ${event.reason}` : ''}`;
	}
}

function describeEffect(effect: Effect, state: OperationState): EffectLog<OperationEvent> {
	switch (effect.type) {
		case 'observe': {
			const isFirst = state.observation === undefined;
			const wait = effect.isElectionWait ? state.electionWait : undefined;
			if (!isFirst && !wait) return {kind: 'silent', why: 'a re-read between steps; the changes it leads to are logged'};
			return {
				kind: 'read',
				step: 'assess',
				command: commandText(isFirst ? etcdctl.memberList(state.plan.connection) : etcdctl.endpointStatus(state.plan.connection)),
				result: event => {
					if (event.type !== 'observed') return undefined;
					const {members, statuses, listFrom} = event.observation;
					const source = memberListSource(listFrom, members, statuses);
					const leader = wait && answeringLeader(event.observation);
					const waited = wait && leader ? electionWaitEnded(wait, event.observation.at, label(leader)) : undefined;
					const read = isFirst ? `${members.length} members, ${Object.keys(statuses).length} answering${source ? `; ${source.text}` : ''}` : undefined;
					return [read, waited].filter(part => part !== undefined).join('; ') || undefined;
				},
			};
		}
		case 'confirm':
			return {kind: 'silent', why: "the operator's answer; the change it allows is logged when it runs"};
		case 'move-leader':
			return {kind: 'change', step: 'move-leader', command: effect.command, result: changeResult};
		case 'remove-member':
			return {kind: 'change', step: 'remove', command: effect.command, result: changeResult};
		case 'add-member':
			return {kind: 'change', step: 'add', command: effect.command, result: changeResult};
		case 'promote-member':
			return {kind: 'change', step: 'promote', command: effect.command, result: changeResult};
		case 'run-start-command':
			return {
				kind: 'change',
				step: 'start',
				command: commandText(effect.argv),
				result: event => (event.type === 'start-command-finished' && event.ranAs !== undefined ? {text: changeResult(event), command: event.ranAs} : changeResult(event)),
			};
	}
}

/** The member workflow as the one runner (runner.ts) drives it; `etcdtop member …` and the console's wizard share it. */
export const memberWorkflow: Workflow<OperationState, OperationEvent, Effect> = {
	reduce,
	effectFor,
	describe: describeEffect,
	failed: failedEvent,
	aborted: () => ({type: 'cancelled', reason: 'stopped before the next step; run the same action again to continue from where the cluster stands'}),
};
