import {classifyError, type FailureKind} from '../etcd/errors.js';
import type {MemberClient} from '../etcd/member-client.js';
import {compactDeadlineMs, defragDeadlineMs} from '../etcd/maintenance.js';
import type {Alarm} from '../etcd/types.js';
import type {Observation} from '../model/observation.js';
import type {CompactEffect, CompactEvent, DisarmEffect, DisarmEvent} from './compact-workflow.js';
import type {DefragEffect, DefragEvent, DefragState, Target} from './defrag-workflow.js';
import type {ConfirmEffect} from './maintenance-steps.js';

// The maintenance workflows' effects performed against the world, one executor per workflow, all of the
// same shape (effect -> event; a thrown call becomes the workflow's `failed` event, the runner logs it).

/** The maintenance calls of one member (a routed client in production, a fake in unit tests). */
export type MaintenanceCalls = Pick<MemberClient, 'defragment' | 'compact' | 'alarmList' | 'disarmNospace' | 'linearizableRead' | 'hashKv'>;

/** What the defrag runbook needs from the world; tests pass fakes, the commands pass etcd/ through the routes. */
export interface DefragIo {
	readonly client: (endpoint: string) => Pick<MaintenanceCalls, 'defragment' | 'compact' | 'alarmList' | 'disarmNospace' | 'linearizableRead'>;
	/** Member list, then every member's status (the one observation); throws when no member answers the list. */
	readonly observe: () => Promise<Observation>;
	/** The member's etcd_server_quota_backend_bytes from /metrics; undefined when it has none. */
	readonly readQuota: (member: Target) => Promise<number | undefined>;
	readonly confirm: (effect: ConfirmEffect) => Promise<boolean>;
	/** Deadline of the alarm calls (a raft round trip). */
	readonly commandTimeoutMs: number;
	readonly now?: () => number;
	readonly sleep?: (ms: number) => Promise<void>;
}

function message(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Deactivates every NOSPACE alarm etcd lists, one by one; a CORRUPT alarm is left exactly as it is. */
export async function disarmNospace(client: Pick<MaintenanceCalls, 'alarmList' | 'disarmNospace'>, timeoutMs: number): Promise<readonly Alarm[]> {
	const armed = (await client.alarmList(timeoutMs)).filter(alarm => alarm.alarm === 'NOSPACE');
	for (const alarm of armed) await client.disarmNospace(alarm.memberId, timeoutMs);
	return armed;
}

/** A physical compaction on one member; a revision already compacted is not a failure. */
export async function compactTo(client: Pick<MaintenanceCalls, 'compact'>, revision: number, dbSize: number): Promise<{readonly type: 'compacted'; readonly revision: number; readonly isAlreadyCompacted: boolean}> {
	try {
		await client.compact(revision, compactDeadlineMs(dbSize));
		return {type: 'compacted', revision, isAlreadyCompacted: false};
	} catch (error) {
		if (classifyError(error).kind === 'compacted') return {type: 'compacted', revision, isAlreadyCompacted: true};
		throw error;
	}
}

/** Performs one defrag effect; a thrown call becomes defragWorkflow.failed's event, and the runner logs it. */
export function defragExecutor(io: DefragIo): (effect: DefragEffect, state: DefragState) => Promise<DefragEvent> {
	const now = io.now ?? Date.now;
	const sleep = io.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
	return async effect => {
		switch (effect.type) {
			case 'observe': {
				if (effect.delayMs > 0) await sleep(effect.delayMs);
				try {
					return {type: 'observed', observation: await io.observe()};
				} catch (error) {
					// Here rather than in defragWorkflow.failed: the election wait is timed by this clock.
					const failure = classifyError(error);
					return {type: 'observe-failed', at: now(), message: `${failure.kind}: ${failure.message}`, kind: failure.kind};
				}
			}
			case 'read-linearizable': {
				const failures: Record<string, string> = {};
				const kinds: Record<string, FailureKind> = {};
				await Promise.all(
					effect.members.map(async member => {
						try {
							await io.client(member.endpoint).linearizableRead(effect.timeoutMs);
						} catch (error) {
							failures[member.id] = message(error);
							kinds[member.id] = classifyError(error).kind;
						}
					}),
				);
				return {type: 'reads-done', failures, kinds, at: now()};
			}
			case 'read-quotas': {
				const quotas: Record<string, number> = {};
				const failures: Record<string, string> = {};
				await Promise.all(
					effect.members.map(async member => {
						try {
							const bytes = await io.readQuota(member);
							if (bytes !== undefined && bytes > 0) quotas[member.id] = bytes;
							else failures[member.id] = 'no etcd_server_quota_backend_bytes in /metrics';
						} catch (error) {
							failures[member.id] = message(error);
						}
					}),
				);
				return {type: 'quotas-read', quotas, failures};
			}
			case 'confirm':
				return (await io.confirm(effect)) ? {type: 'confirmed'} : {type: 'cancelled'};
			case 'compact':
				return compactTo(io.client(effect.endpoint), effect.revision, effect.dbSize);
			case 'defragment': {
				const started = now();
				await io.client(effect.member.endpoint).defragment(defragDeadlineMs(effect.dbSize));
				const at = now();
				return {type: 'defragmented', id: effect.member.id, at, tookMs: at - started};
			}
			case 'disarm':
				return {type: 'disarmed', cleared: await disarmNospace(io.client(effect.endpoint), io.commandTimeoutMs)};
		}
	};
}

/** `etcdtop compact`'s effects; the same compaction as defrag --compact. */
export function compactExecutor(io: {readonly client: (endpoint: string) => Pick<MaintenanceCalls, 'compact'>; readonly observe: () => Promise<Observation>; readonly confirm: (effect: ConfirmEffect) => Promise<boolean>}): (effect: CompactEffect) => Promise<CompactEvent> {
	return async effect => {
		switch (effect.type) {
			case 'observe':
				return {type: 'observed', observation: await io.observe()};
			case 'confirm':
				return (await io.confirm(effect)) ? {type: 'confirmed'} : {type: 'cancelled'};
			case 'compact':
				return compactTo(io.client(effect.endpoint), effect.revision, effect.dbSize);
		}
	};
}

/** `etcdtop alarm disarm`'s effects; the same NOSPACE disarm as defrag --disarm. */
export function disarmExecutor(io: {readonly client: (endpoint: string) => Pick<MaintenanceCalls, 'alarmList' | 'disarmNospace'>; readonly observe: () => Promise<Observation>; readonly commandTimeoutMs: number}): (effect: DisarmEffect) => Promise<DisarmEvent> {
	return async effect => (effect.type === 'observe' ? {type: 'observed', observation: await io.observe()} : {type: 'disarmed', cleared: await disarmNospace(io.client(effect.endpoint), io.commandTimeoutMs)});
}
