import {classifyError} from '../etcd/errors.js';
import type {ConnectOptions} from '../etcd/member-client.js';
import {endpointOf, requestEndpoint, type Observation} from '../model/observation.js';
import type {MemberInfo} from '../model/types.js';
import {credentialsRefusal, observeCluster} from '../route/observe.js';
import type {MemberCalls} from '../route/routes.js';
import {awaitedClientUrl, memberWorkflow, type ClientAnswer, type Effect, type OperationEvent, type OperationState} from './member-workflow.js';
import {runWorkflow, type CommandLogEntry} from './runner.js';

export type {CommandLogEntry, ConnectOptions};

export interface StartResult {
	readonly exitCode: number | null;
	readonly output: readonly string[];
	/** The command line as it ran on the remote host, for the log. */
	readonly commandLine: string;
	readonly host: string;
}

/** What member changes need from the outside world; tests pass fakes, the CLI passes etcd/ and ssh/. */
export interface OperationIo {
	readonly client: (endpoint: string) => Pick<MemberCalls, 'status' | 'memberList' | 'memberAdd' | 'memberRemove' | 'memberPromote' | 'moveLeader'>;
	readonly seedEndpoints: readonly string[];
	readonly commandTimeoutMs: number;
	readonly probeTimeoutMs: number;
	readonly confirm: (effect: Extract<Effect, {type: 'confirm'}>) => Promise<boolean>;
	readonly runStart: (effect: Extract<Effect, {type: 'run-start-command'}>) => Promise<StartResult>;
	readonly log: (entry: CommandLogEntry) => void;
	readonly onState?: (state: OperationState) => void;
	readonly signal?: AbortSignal;
	readonly now?: () => number;
	readonly sleep?: (ms: number) => Promise<void>;
}

/** What the awaited member's client URL answers now: its status, refused (nothing listens), or another failure. */
async function probeClient(io: OperationIo, url: string): Promise<ClientAnswer> {
	try {
		const status = await io.client(url).status(io.probeTimeoutMs);
		return {url, answer: `answers as member ${status.memberId}${status.isLearner ? ' (learner)' : ''}`, isListening: true};
	} catch (error) {
		const failure = classifyError(error);
		const isSilent = failure.kind === 'refused' || failure.kind === 'timeout' || failure.kind === 'unreachable';
		const words = failure.kind === 'refused' ? 'connection refused: nothing listens there' : failure.kind === 'timeout' ? `no answer within ${Math.round(io.probeTimeoutMs / 100) / 10}s` : `${failure.kind}: ${failure.message}`;
		return {url, answer: words, isListening: !isSilent};
	}
}

/** The one observation (route/observe.ts) through the io's clients, as the workflow's event. */
async function observe(io: OperationIo, known: readonly MemberInfo[], awaitedUrl?: string): Promise<OperationEvent> {
	const result = await observeCluster(io.client, {
		seeds: io.seedEndpoints,
		known,
		// A decision to remove or add is taken on the cluster's list (etcd 3.5+ answers it through raft).
		isLinearizable: true,
		listTimeoutMs: io.commandTimeoutMs,
		statusTimeoutMs: io.probeTimeoutMs,
		...(io.now ? {now: io.now} : {}),
	});
	// Every member refused the user or password, or Status for want of the root role: the operator's to fix.
	const refusal = credentialsRefusal(result);
	if (refusal) return {type: 'observe-failed', at: result.kind === 'observed' ? result.reading.at : result.at, message: refusal.message, kind: refusal.failure.kind};
	if (result.kind === 'no-member-list') return {type: 'observe-failed', at: result.at, message: result.message, kind: result.failureKind};
	const newClient = awaitedUrl === undefined ? undefined : await probeClient(io, awaitedUrl);
	return {type: 'observed', observation: result.reading, ...(newClient ? {newClient} : {})};
}

/** Member changes go to the leader when it answers (right after a leader dies the others still name it), else to a voter that does. */
function leaderClient(io: OperationIo, observation: Observation | undefined) {
	return io.client((observation && requestEndpoint(observation)) ?? io.seedEndpoints[0]!);
}

/**
 * Performs one member effect through io. It only acts and answers: a thrown call becomes an event in
 * memberWorkflow.failed, and the runner writes the command log.
 */
export function memberExecutor(io: OperationIo): (effect: Effect, state: OperationState) => Promise<OperationEvent> {
	return async (effect, state) => {
		switch (effect.type) {
			case 'observe':
				if (effect.delayMs > 0) await (io.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms))))(effect.delayMs);
				return observe(io, state.observation?.members ?? [], awaitedClientUrl(state));
			case 'confirm':
				return (await io.confirm(effect)) ? {type: 'confirmed'} : {type: 'cancelled'};
			case 'move-leader':
				// Only the leader can hand leadership over.
				await io.client(endpointOf(state.observation, effect.from) ?? io.seedEndpoints[0]!).moveLeader(effect.to.id, io.commandTimeoutMs);
				return {type: 'leader-moved'};
			case 'remove-member':
				await leaderClient(io, state.observation).memberRemove(effect.member.id, io.commandTimeoutMs);
				return {type: 'member-removed', id: effect.member.id};
			case 'add-member': {
				const {member} = await leaderClient(io, state.observation).memberAdd(effect.peerUrls, effect.isLearner, io.commandTimeoutMs);
				return {type: 'member-added', member};
			}
			case 'run-start-command': {
				const result = await io.runStart(effect);
				return {type: 'start-command-finished', exitCode: result.exitCode, output: result.output, ranAs: `ssh ${result.host} ${result.commandLine}`};
			}
			case 'promote-member':
				await leaderClient(io, state.observation).memberPromote(effect.member.id, io.commandTimeoutMs);
				return {type: 'promoted'};
		}
	};
}

/** Runs a member change to its outcome with the one runner: `etcdtop member …`, the console's wizard and the bench. */
export async function runOperation(initial: OperationState, io: OperationIo): Promise<OperationState> {
	return runWorkflow(memberWorkflow, initial, {
		execute: memberExecutor(io),
		log: io.log,
		...(io.onState ? {onState: io.onState} : {}),
		...(io.signal ? {signal: io.signal} : {}),
		...(io.now ? {now: io.now} : {}),
	});
}
