import {classifyError} from '../etcd/errors.js';
import type {ConnectOptions, MemberClient} from '../etcd/member-client.js';
import type {EndpointStatus, MemberInfo} from '../etcd/types.js';
import {commandText, etcdctl} from './commands.js';
import {effectFor, leaderOf, reduce, type Effect, type Observation, type OperationEvent, type OperationState} from './member-workflow.js';

export interface CommandLogEntry {
	readonly at: number;
	readonly step: string;
	/** The etcdctl equivalent, or the remote command line as sent (quoted by the one quote function). */
	readonly command: string;
	readonly result: string;
}

export interface StartResult {
	readonly exitCode: number | null;
	readonly output: readonly string[];
	/** The command line as it ran on the remote host, for the log. */
	readonly commandLine: string;
	readonly host: string;
}

/** What the runner needs from the outside world; tests pass fakes, the CLI passes etcd/ and ssh/. */
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

export type {ConnectOptions};

const notInSync = /in sync with leader|not in sync|learner.*not.*ready/i;
/** etcd's --strict-reconfig-check answers while a member joined or returned less than 5s ago. */
const deferred = /unhealthy cluster|too many learner/i;

function failed(action: Effect['type'], error: unknown): OperationEvent {
	const raw = error instanceof Error ? error.message : String(error);
	if (deferred.test(raw)) return {type: 'change-deferred', action, message: classifyError(error).message};
	return {type: 'action-failed', action, message: classifyError(error).message};
}

async function observe(io: OperationIo, known: readonly MemberInfo[]): Promise<OperationEvent> {
	const now = io.now ?? Date.now;
	const candidates = [...new Set([...io.seedEndpoints, ...known.flatMap(member => member.clientUrls)])];
	let members: readonly MemberInfo[] | undefined;
	let lastError = 'no endpoint';
	// One member's answer is the cluster's list; a learner or a dead member just passes the question on.
	for (const endpoint of candidates) {
		try {
			members = (await io.client(endpoint).memberList(io.commandTimeoutMs)).members;
			break;
		} catch (error) {
			lastError = `${endpoint}: ${classifyError(error).message}`;
		}
	}
	if (!members) return {type: 'observe-failed', at: now(), message: lastError};
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
	return {client: io.client(endpoint), endpoint};
}

function reachableEndpoint(observation: Observation | undefined): string | undefined {
	if (!observation) return undefined;
	const member = observation.members.find(candidate => !candidate.isLearner && observation.statuses[candidate.id] !== undefined);
	return member?.clientUrls[0];
}

function message(error: unknown): string {
	return classifyError(error).message;
}

async function execute(effect: Effect, state: OperationState, io: OperationIo): Promise<OperationEvent> {
	const now = io.now ?? Date.now;
	const log = (step: string, command: string, result: string) => io.log({at: now(), step, command, result});
	switch (effect.type) {
		case 'observe': {
			if (effect.delayMs > 0) await (io.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms))))(effect.delayMs);
			const event = await observe(io, state.observation?.members ?? []);
			if (state.observation === undefined && event.type === 'observed') {
				const {members, statuses} = event.observation;
				log('assess', commandText(etcdctl.memberList(state.plan.connection)), `${members.length} members, ${Object.keys(statuses).length} answering`);
			}
			return event;
		}
		case 'confirm':
			return (await io.confirm(effect)) ? {type: 'confirmed'} : {type: 'cancelled'};
		case 'move-leader': {
			const endpoint = effect.from.clientUrls[0] ?? io.seedEndpoints[0]!;
			try {
				await io.client(endpoint).moveLeader(effect.to.id, io.commandTimeoutMs);
				log('move-leader', effect.command, 'ok');
				return {type: 'leader-moved'};
			} catch (error) {
				log('move-leader', effect.command, `failed: ${message(error)}`);
				return failed(effect.type, error);
			}
		}
		case 'remove-member': {
			const {client} = leaderClient(io, state.observation);
			try {
				await client.memberRemove(effect.member.id, io.commandTimeoutMs);
				log('remove', effect.command, 'ok');
				return {type: 'member-removed', id: effect.member.id};
			} catch (error) {
				log('remove', effect.command, `failed: ${message(error)}`);
				return failed(effect.type, error);
			}
		}
		case 'add-member': {
			const {client} = leaderClient(io, state.observation);
			try {
				const {member} = await client.memberAdd(effect.peerUrls, effect.isLearner, io.commandTimeoutMs);
				log('add', effect.command, `ok: member ${member.id}`);
				return {type: 'member-added', member};
			} catch (error) {
				log('add', effect.command, `failed: ${message(error)}`);
				return failed(effect.type, error);
			}
		}
		case 'run-start-command': {
			try {
				const result = await io.runStart(effect);
				log('start', `ssh ${result.host} ${result.commandLine}`, `exit ${result.exitCode ?? 'signal'}`);
				return {type: 'start-command-finished', exitCode: result.exitCode, output: result.output};
			} catch (error) {
				const text = error instanceof Error ? error.message : String(error);
				log('start', commandText(effect.argv), `failed: ${text}`);
				return {type: 'action-failed', action: effect.type, message: text};
			}
		}
		case 'promote-member': {
			const {client} = leaderClient(io, state.observation);
			try {
				await client.memberPromote(effect.member.id, io.commandTimeoutMs);
				log('promote', effect.command, 'ok');
				return {type: 'promoted'};
			} catch (error) {
				const raw = error instanceof Error ? error.message : String(error);
				if (notInSync.test(raw)) {
					log('promote', effect.command, `not yet: ${message(error)}`);
					return {type: 'promote-not-in-sync', message: message(error)};
				}
				log('promote', effect.command, `failed: ${message(error)}`);
				return failed(effect.type, error);
			}
		}
	}
}

/** Runs the machine to an outcome: effect -> io -> event -> reduce, until no effect is left. */
export async function runOperation(initial: OperationState, io: OperationIo): Promise<OperationState> {
	let state = initial;
	io.onState?.(state);
	for (let effect = effectFor(state); effect; effect = effectFor(state)) {
		if (io.signal?.aborted) {
			state = reduce(state, {type: 'cancelled', reason: 'stopped before the next step; run the same action again to continue from where the cluster stands'});
			break;
		}
		const event = await execute(effect, state, io);
		state = reduce(state, event);
		io.onState?.(state);
	}
	return state;
}
