import {classifyError} from '../etcd/errors.js';
import type {ConnectOptions, MemberClient} from '../etcd/member-client.js';
import type {EndpointStatus, MemberInfo} from '../etcd/types.js';
import {leaderOf, memberWorkflow, type Effect, type Observation, type OperationEvent, type OperationState} from './member-workflow.js';
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
	readonly client: (endpoint: string) => Pick<MemberClient, 'status' | 'memberList' | 'memberAdd' | 'memberRemove' | 'memberPromote' | 'moveLeader'>;
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

async function observe(io: OperationIo, known: readonly MemberInfo[]): Promise<OperationEvent> {
	const now = io.now ?? Date.now;
	const candidates = [...new Set([...io.seedEndpoints, ...known.flatMap(member => member.clientUrls)])];
	let members: readonly MemberInfo[] | undefined;
	let lastError = 'no endpoint';
	let isUnauthenticated = candidates.length > 0;
	// One member's answer is the cluster's list; a learner or a dead member just passes the question on.
	for (const endpoint of candidates) {
		try {
			// Linearizable (3.5+): a decision to remove or add is taken on the cluster's list, never on what a
			// partitioned member last saw; such a member fails the call and the next candidate answers.
			members = (await io.client(endpoint).memberList(io.commandTimeoutMs, {isLinearizable: true})).members;
			break;
		} catch (error) {
			const failure = classifyError(error);
			isUnauthenticated &&= failure.kind === 'auth';
			lastError = `${endpoint}: ${failure.message}`;
		}
	}
	if (!members) return {type: 'observe-failed', at: now(), message: lastError, ...(isUnauthenticated ? {isUnauthenticated} : {})};
	const statuses: Record<string, EndpointStatus> = {};
	const failures: Record<string, string> = {};
	await Promise.all(
		members.map(async member => {
			if (member.clientUrls.length === 0) {
				failures[member.id] = 'not started';
				return;
			}
			for (const url of member.clientUrls) {
				try {
					const status = await io.client(url).status(io.probeTimeoutMs);
					if (status.memberId === member.id) {
						statuses[member.id] = status;
						return;
					}
					failures[member.id] = `${url} answers as member ${status.memberId}`;
				} catch (error) {
					const failure = classifyError(error);
					failures[member.id] = `${failure.kind}: ${failure.message}`;
				}
			}
		}),
	);
	const observation: Observation = {at: now(), members, statuses, failures};
	return {type: 'observed', observation};
}

/** Member changes go to the leader when it answers; right after a leader dies the others still name it. */
function leaderClient(io: OperationIo, observation: Observation | undefined) {
	const leaderId = observation ? leaderOf(observation) : undefined;
	const leader = observation?.members.find(member => member.id === leaderId && observation.statuses[member.id] !== undefined);
	const endpoint = leader?.clientUrls[0] ?? reachableEndpoint(observation) ?? io.seedEndpoints[0]!;
	return io.client(endpoint);
}

function reachableEndpoint(observation: Observation | undefined): string | undefined {
	if (!observation) return undefined;
	const member = observation.members.find(candidate => !candidate.isLearner && observation.statuses[candidate.id] !== undefined);
	return member?.clientUrls[0];
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
				return observe(io, state.observation?.members ?? []);
			case 'confirm':
				return (await io.confirm(effect)) ? {type: 'confirmed'} : {type: 'cancelled'};
			case 'move-leader':
				// Only the leader can hand leadership over.
				await io.client(effect.from.clientUrls[0] ?? io.seedEndpoints[0]!).moveLeader(effect.to.id, io.commandTimeoutMs);
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
