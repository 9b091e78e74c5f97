import {humanBytes} from '../model/format.js';
import type {PrefixUsage} from '../model/usage.js';
import type {EtcdctlBase} from '../ops/commands.js';
import {compactWorkflow, disarmWorkflow, initialCompactState, initialDisarmState} from '../ops/compact-workflow.js';
import {checkConsistency} from '../ops/consistency.js';
import {compactExecutor, defragExecutor, disarmExecutor, type MaintenanceCalls} from '../ops/maintenance-run.js';
import type {ConfirmEffect} from '../ops/maintenance-steps.js';
import {confirmWord, defragWorkflow, initialDefragState, type DefragState, type QuotaSource, type Target} from '../ops/defrag-workflow.js';
import type {Observation} from '../model/observation.js';
import {runWorkflow, type CommandLogEntry} from '../ops/runner.js';

/** What the pane's actions need of the cluster, opened per action and closed after (the commands use the same). */
export interface MaintenanceIo {
	readonly client: (endpoint: string) => MaintenanceCalls;
	readonly observe: () => Promise<Observation>;
	readonly readQuota: (member: Target) => Promise<number | undefined>;
	readonly quotasOf: (observation: Observation, quotaFlag: number | undefined) => Promise<Readonly<Record<string, {readonly bytes: number; readonly source: QuotaSource}>>>;
	readonly usage: (prefix: string, depth: number, from: string | undefined) => Promise<{readonly member: string; readonly revision: number; readonly rows: readonly PrefixUsage[]}>;
	readonly logChange: (entry: CommandLogEntry) => void;
	readonly close: () => Promise<void>;
}

/** What a typed confirmation shows: what will happen, then the etcdctl lines. */
function confirmLines(effect: ConfirmEffect): readonly string[] {
	return [...effect.summary, 'etcdctl equivalent:', ...effect.commands.map(command => `  ${command}`)];
}

export interface MaintenanceBackend {
	readonly connection: EtcdctlBase;
	readonly quotaFlag: number | undefined;
	readonly settleTimeoutMs: number;
	readonly commandTimeoutMs: number;
	readonly open: () => Promise<MaintenanceIo>;
	/** The console's log pane: every change with its etcdctl line. */
	readonly onLog: (entry: CommandLogEntry) => void;
}

export type TaskKind = 'defrag' | 'compact' | 'disarm' | 'check' | 'usage';

export interface MaintenanceTask {
	readonly kind: TaskKind;
	readonly isRunning: boolean;
	/** What the operator reads, in order: plan, progress, results. */
	readonly lines: readonly string[];
	readonly defrag: DefragState | undefined;
	readonly outcome: {readonly type: string; readonly message: string} | undefined;
}

export interface MaintenanceSnapshot {
	/** By member ID, from --quota-backend-bytes or /metrics (Status carries its own in etcd 3.6). */
	readonly quotas: Readonly<Record<string, number>>;
	readonly task: MaintenanceTask | undefined;
	/** A typed word the running action waits for. */
	readonly pendingConfirm: {readonly expected: string; readonly lines: readonly string[]} | undefined;
	/** Member ID -> what maintenance is doing to it now ("defragmenting"): the dashboard says so instead of "hung". */
	readonly busy: Readonly<Record<string, string>>;
}

const empty: MaintenanceSnapshot = Object.freeze({quotas: {}, task: undefined, pendingConfirm: undefined, busy: {}});

/** The Maintenance pane's store: runs one action at a time on the same machines and runner as the commands. */
export class MaintenanceStore {
	private state: MaintenanceSnapshot = empty;
	private readonly listeners = new Set<() => void>();
	private answer: ((isConfirmed: boolean) => void) | undefined;

	constructor(private readonly backend: MaintenanceBackend) {}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	readonly getSnapshot = (): MaintenanceSnapshot => this.state;

	private set(patch: Partial<MaintenanceSnapshot>): void {
		this.state = Object.freeze({...this.state, ...patch});
		for (const listener of this.listeners) listener();
	}

	private setTask(patch: Partial<MaintenanceTask>): void {
		const task = this.state.task;
		if (task) this.set({task: {...task, ...patch}});
	}

	private addLines(...lines: string[]): void {
		const task = this.state.task;
		if (task) this.set({task: {...task, lines: [...task.lines, ...lines].slice(-200)}});
	}

	get isBusy(): boolean {
		return this.state.task?.isRunning === true;
	}

	/** The typed answer to the running action's confirmation. */
	confirm(isConfirmed: boolean): void {
		const answer = this.answer;
		this.answer = undefined;
		this.set({pendingConfirm: undefined});
		answer?.(isConfirmed);
	}

	private ask(expected: string, lines: readonly string[]): Promise<boolean> {
		return new Promise(resolve => {
			this.answer = resolve;
			this.set({pendingConfirm: {expected, lines}});
		});
	}

	/** Reads each member's quota once (flag or /metrics), for the pane's quota column. */
	async loadQuotas(): Promise<void> {
		await this.withIo(undefined, async io => {
			const quotas = await io.quotasOf(await io.observe(), this.backend.quotaFlag);
			this.set({quotas: Object.fromEntries(Object.entries(quotas).map(([id, quota]) => [id, quota.bytes]))});
		});
	}

	private async withIo(kind: TaskKind | undefined, body: (io: MaintenanceIo) => Promise<void>): Promise<void> {
		if (kind) {
			if (this.isBusy) return;
			this.set({task: {kind, isRunning: true, lines: [], defrag: undefined, outcome: undefined}});
		}
		let io: MaintenanceIo | undefined;
		try {
			io = await this.backend.open();
			await body(io);
		} catch (error) {
			if (kind) this.setTask({outcome: {type: 'failed', message: error instanceof Error ? error.message : String(error)}});
		} finally {
			await io?.close();
			if (kind) this.setTask({isRunning: false});
			this.set({pendingConfirm: undefined, busy: {}});
			this.answer = undefined;
		}
	}

	private log(io: MaintenanceIo) {
		return (entry: CommandLogEntry) => {
			io.logChange(entry);
			this.backend.onLog(entry);
			this.addLines(`$ ${entry.command}  # ${entry.result}`);
		};
	}

	/** Compact (optional), defragment every member (leader last), disarm (optional): the runbook; guided when NOSPACE is up. */
	defrag({isCompacting, isDisarming}: {readonly isCompacting: boolean; readonly isDisarming: boolean}): Promise<void> {
		return this.withIo('defrag', async io => {
			let printedNotes = 0;
			const final = await runWorkflow(
				defragWorkflow,
				initialDefragState({isCompacting, isDisarming, rule: undefined, isDryRun: false, isPreConfirmed: false, quotaFlag: this.backend.quotaFlag, settleTimeoutMs: this.backend.settleTimeoutMs, connection: this.backend.connection}),
				{
					execute: defragExecutor({
						client: io.client,
						observe: io.observe,
						readQuota: io.readQuota,
						confirm: async effect => this.ask(confirmWord, confirmLines(effect)),
						commandTimeoutMs: this.backend.commandTimeoutMs,
					}),
					log: this.log(io),
					onState: state => {
						const busy: Record<string, string> = {};
						for (const [id, progress] of Object.entries(state.progress)) if (progress.state === 'defragmenting') busy[id] = 'defragmenting';
						this.set({busy});
						this.setTask({defrag: state});
						this.addLines(...state.notes.slice(printedNotes));
						printedNotes = state.notes.length;
					},
				},
			);
			this.setTask({outcome: final.outcome});
		});
	}

	compact(): Promise<void> {
		return this.withIo('compact', async io => {
			const final = await runWorkflow(compactWorkflow, initialCompactState({target: {kind: 'current'}, isPreConfirmed: false, connection: this.backend.connection}), {
				execute: compactExecutor({client: io.client, observe: io.observe, confirm: async effect => this.ask(effect.expected, confirmLines(effect))}),
				log: this.log(io),
			});
			this.setTask({outcome: final.outcome});
		});
	}

	disarm(): Promise<void> {
		return this.withIo('disarm', async io => {
			const quotas = await io.quotasOf(await io.observe(), this.backend.quotaFlag);
			const final = await runWorkflow(disarmWorkflow, initialDisarmState({quotas, connection: this.backend.connection}), {
				execute: disarmExecutor({client: io.client, observe: io.observe, commandTimeoutMs: this.backend.commandTimeoutMs}),
				log: this.log(io),
			});
			this.addLines(...final.notes);
			this.setTask({outcome: final.outcome});
		});
	}

	check(): Promise<void> {
		return this.withIo('check', async io => {
			this.addLines('HashKV on every voter…');
			const verdict = await checkConsistency({observe: io.observe, hashKv: async (endpoint, revision, timeoutMs) => io.client(endpoint).hashKv(revision, timeoutMs)});
			for (const member of verdict.members) this.addLines(`${member.name || member.id}: ${member.hash === undefined ? member.failure : `hash ${member.hash.toString(16).padStart(8, '0')} compact rev ${member.compactRevision}`}`);
			const message =
				verdict.type === 'consistent' ? `consistent at revision ${verdict.revision}` : verdict.type === 'diverged' ? `DIVERGED at revision ${verdict.revision}: ${verdict.minority.join(', ')} differ` : verdict.message;
			this.setTask({outcome: {type: verdict.type === 'consistent' ? 'done' : 'failed', message}});
		});
	}

	usage(): Promise<void> {
		return this.withIo('usage', async io => {
			this.addLines('reading every key in pages (serializable)…');
			const usage = await io.usage('', 3, undefined);
			this.addLines(`${usage.member} at revision ${usage.revision}: largest prefixes`);
			for (const row of usage.rows.slice(0, 10)) this.addLines(`${humanBytes(row.valueBytes).padStart(8)}  ${String(row.keys).padStart(7)} keys  ${row.prefix === '' ? '(keys without /)' : row.prefix}`);
			this.setTask({outcome: {type: 'done', message: `${usage.rows.length} prefixes`}});
		});
	}
}
