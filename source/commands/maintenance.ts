import {createInterface} from 'node:readline/promises';
import type {Config} from '../config/config.js';
import {checkedDuration} from '../config/config.js';
import {durationRanges} from '../config/duration.js';
import {ConfigError} from '../config/errors.js';
import {CredentialsRefusedError, isCredentialsKind} from '../etcd/errors.js';
import type {Alarm} from '../etcd/types.js';
import {humanBytes} from '../model/format.js';
import {visibleLine} from '../model/visible-text.js';
import {exitCodes} from '../output/exit-code.js';
import {renderTable} from '../output/table.js';
import {parseWriteFormat} from '../config/write-format.js';
import {etcdctlConnectionOf} from '../config/printed-client.js';
import {compactWord, compactWorkflow, disarmWorkflow, initialCompactState, initialDisarmState, type ChangeOutcome, type CompactTarget} from '../ops/compact-workflow.js';
import {checkConsistency, type Verdict} from '../ops/consistency.js';
import {compactExecutor, defragExecutor, disarmExecutor} from '../ops/maintenance-run.js';
import {parseByteSize, parseRule, RuleError} from '../ops/defrag-rule.js';
import {confirmWord, defragTimeoutFor, defragWorkflow, initialDefragState, type DefragState, type Outcome, type PlannedMember} from '../ops/defrag-workflow.js';
import {runWorkflow, type CommandLogEntry} from '../ops/runner.js';
import type {CommandContext, CommandIo} from './context.js';
import {openCommandLog, resolvedConfig, withVia} from './context.js';
import type {ParsedFlags} from './flags.js';
import {MaintenanceInputError, openMaintenanceContext, type MaintenanceContext} from '../console/maintenance-context.js';
import {depthOf, positiveInteger, usageTable} from './usage-table.js';

type Format = 'table' | 'json';

function formatOf(flags: ParsedFlags, command: string): Format {
	return parseWriteFormat(flags.writeOut, ['table', 'json'] as const, command);
}

function noExtraArgs(args: readonly string[], command: string): void {
	if (args.length > 0) throw new ConfigError(command, `unexpected argument "${args[0]}"`, `see etcdtop ${command} --help`);
}

function refuseReadOnly(config: Config, what: string): void {
	if (config.isReadOnly) throw new ConfigError('--read-only', `${what} changes the cluster`, 'drop --read-only to run it');
}

function connectionOf(config: Config) {
	return etcdctlConnectionOf(config);
}

function quotaFlagOf(flags: ParsedFlags): number | undefined {
	if (flags.quotaBackendBytes === undefined) return undefined;
	const bytes = parseByteSize(flags.quotaBackendBytes);
	if (bytes === undefined) throw new ConfigError('--quota-backend-bytes', `"${flags.quotaBackendBytes}" is not a size in bytes`, 'give the members\' --quota-backend-bytes, e.g. 8589934592 or 8GiB');
	return bytes;
}

/** A typed word from the terminal; anything else cancels. */
async function askTyped(word: string, summary: readonly string[], commands: readonly string[], io: CommandIo): Promise<boolean> {
	for (const line of summary) io.err(line);
	if (commands.length > 0) io.err('etcdctl equivalent:');
	for (const command of commands) io.err(`  ${command}`);
	const prompt = createInterface({input: process.stdin, output: process.stderr});
	try {
		const answer = await prompt.question(`Type "${word}" to go ahead (anything else cancels): `);
		return answer.trim() === word;
	} finally {
		prompt.close();
	}
}

/** Exit 3 before connecting when a typed confirmation is due and nobody can type it. */
function needTerminal(flags: ParsedFlags, what: string): void {
	if (!flags.yes && !process.stdin.isTTY) throw new ConfigError('--yes', `${what} asks for a typed confirmation and there is no terminal to type it`, 'run it in a terminal, or add --yes');
}

/** The look already taken (to read the quotas) is the workflow's first; later ones are fresh. */
function firstThen<T>(first: T, next: () => Promise<T>): () => Promise<T> {
	let pending: T | undefined = first;
	return async () => {
		const value = pending ?? (await next());
		pending = undefined;
		return value;
	};
}

function logLine(entry: CommandLogEntry): string {
	return `  $ ${entry.command}  # ${entry.result}`;
}

/**
 * The maintenance context for one command. `refused` rethrows a refusal of the credentials that a workflow
 * took in as a failed step: a wrong password is exit 3 naming --user, as everywhere, not a refused defrag.
 */
async function withContext<T>(
	flags: ParsedFlags,
	io: CommandIo,
	body: (config: Config, context: MaintenanceContext, refused: () => void) => Promise<T>,
	check?: (config: Config) => void,
): Promise<T> {
	const config = await resolvedConfig(flags, io);
	check?.(config);
	try {
		return await withVia(config, io, async via => {
			const logFile = openCommandLog(flags.commandLog, io.err);
			const context = await openMaintenanceContext(config, via, logFile).catch((error: unknown) => {
				logFile.close();
				throw error;
			});
			let refusal: CredentialsRefusedError | undefined;
			const observe = async () => {
				try {
					return await context.observe();
				} catch (error) {
					if (error instanceof CredentialsRefusedError) refusal ??= error;
					throw error;
				}
			};
			try {
				return await body(config, {...context, observe}, () => {
					if (refusal) throw refusal;
				});
			} finally {
				await context.close();
				logFile.close();
			}
		});
	} catch (error) {
		// The command boundary decides: the operator's --command-log or --from is a usage error, exit 3.
		if (error instanceof MaintenanceInputError) throw new ConfigError(error.input, error.problem, error.fix);
		throw error;
	}
}

function exitOf(outcome: Outcome | ChangeOutcome | undefined): number {
	switch (outcome?.type) {
		case 'done':
		case 'planned':
			return exitCodes.ok;
		case 'cancelled':
			return exitCodes.warning;
		case 'failed':
			// etcd refused the step for who the operator is (the message names the user and the fix).
			return 'credentials' in outcome && outcome.credentials ? exitCodes.usage : exitCodes.critical;
		default:
			return exitCodes.critical;
	}
}

// --- defrag ----------------------------------------------------------------------------------------

function percent(part: number, whole: number | undefined): string {
	return whole ? `${((part / whole) * 100).toFixed(1)}%` : '-';
}

export function planTable(plan: readonly PlannedMember[]): string {
	let order = 0;
	return renderTable(
		['ORDER', 'NAME', 'ID', 'ROLE', 'DB SIZE', 'IN USE', 'FREE', 'QUOTA', 'QUOTA USE', 'ACTION'],
		plan.map(row => [
			row.action === 'defrag' ? String(++order) : '-',
			row.name || '(unnamed)',
			row.id,
			row.role,
			humanBytes(row.dbSize),
			humanBytes(row.dbSizeInUse),
			humanBytes(row.dbSizeFree),
			row.quota === undefined ? 'unknown' : `${humanBytes(row.quota)} (${row.quotaSource})`,
			percent(row.dbSize, row.quota),
			row.action === 'defrag' ? 'defrag' : `skip: ${row.reason}`,
		]),
	).trimEnd();
}

function defragJson(state: DefragState, log: readonly CommandLogEntry[]): unknown {
	return {
		outcome: state.outcome ?? null,
		compactedTo: state.compactedTo ?? null,
		plan: (state.plan ?? []).map(row => ({...row, quota: row.quota ?? null, quotaSource: row.quotaSource ?? null, progress: state.progress[row.id] ?? null})),
		disarmed: state.cleared,
		log,
	};
}

export async function defragCommand({args, flags, io}: CommandContext): Promise<number> {
	noExtraArgs(args, 'defrag');
	const format = formatOf(flags, 'defrag');
	let rule;
	try {
		rule = flags.rule === undefined ? undefined : parseRule(flags.rule);
	} catch (error) {
		if (error instanceof RuleError) throw new ConfigError('--rule', error.message, 'e.g. --rule "dbSize > 100MiB && dbSizeFree/dbSize > 0.5"; see the readme for the language');
		throw error;
	}
	const quotaFlag = quotaFlagOf(flags);
	// Within its documented range, as every duration: a timer past 2^31-1 ms would fire after 1 ms.
	const settleTimeoutMs = checkedDuration(flags.waitTimeout ?? '5m', '--wait-timeout', durationRanges.waitTimeout);
	const isDryRun = flags.dryRun ?? false;
	if (!isDryRun) needTerminal(flags, 'defrag');
	return withContext(
		flags,
		io,
		async (config, context, refused) => {
			const out = format === 'table' ? io.out : () => undefined;
			let printedNotes = 0;
			let hasPrintedPlan = false;
			let lastCurrent: string | undefined;
			const log: CommandLogEntry[] = [];
			const final = await runWorkflow(
				defragWorkflow,
				initialDefragState({isCompacting: flags.compact ?? false, isDisarming: flags.disarm ?? false, rule, isDryRun, isPreConfirmed: flags.yes ?? false, quotaFlag, settleTimeoutMs, connection: connectionOf(config)}),
				{
					execute: defragExecutor({
						client: context.client,
						observe: context.observe,
						readQuota: context.readQuota,
						confirm: async effect => askTyped(confirmWord, [], effect.commands, io),
						commandTimeoutMs: config.commandTimeoutMs,
					}),
					log: entry => {
						log.push(entry);
						context.logChange(entry);
						out(logLine(entry));
					},
					onState: state => {
						if (state.plan && !hasPrintedPlan) {
							hasPrintedPlan = true;
							out(planTable(state.plan));
						}
						for (const line of state.notes.slice(printedNotes)) out(line);
						printedNotes = state.notes.length;
						if (state.step === 'defrag' && state.current && state.current !== lastCurrent) {
							lastCurrent = state.current;
							const row = state.plan?.find(candidate => candidate.id === state.current);
							if (row) out(`defragmenting ${row.name || row.id} (${humanBytes(row.dbSize)}; deadline ${Math.round(defragTimeoutFor(row.dbSize) / 1000)}s)…`);
						}
					},
				},
			);
			if (final.outcome?.type !== 'done' && final.outcome?.type !== 'planned') refused();
			if (format === 'json') io.out(JSON.stringify(defragJson(final, log)));
			else if (final.outcome && final.outcome.type !== 'done' && final.outcome.type !== 'planned') io.err(`etcdtop: defrag ${final.outcome.type}: ${final.outcome.message}`);
			return exitOf(final.outcome);
		},
		config => {
			if (!isDryRun) refuseReadOnly(config, 'defrag');
		},
	);
}

// --- compact ---------------------------------------------------------------------------------------

export async function compactCommand({args, flags, io}: CommandContext): Promise<number> {
	noExtraArgs(args, 'compact');
	const format = formatOf(flags, 'compact');
	const revision = positiveInteger(flags.revision, '--revision', '12345');
	const keep = positiveInteger(flags.keepRevisions, '--keep-revisions', '10000', true);
	if (revision !== undefined && keep !== undefined) throw new ConfigError('--keep-revisions', 'and --revision both name the revision to compact to', 'give one of them');
	const target: CompactTarget = revision !== undefined ? {kind: 'revision', revision} : keep !== undefined ? {kind: 'keep', revisions: keep} : {kind: 'current'};
	needTerminal(flags, 'compact');
	return withContext(
		flags,
		io,
		async (config, context, refused) => {
			const log: CommandLogEntry[] = [];
			const final = await runWorkflow(compactWorkflow, initialCompactState({target, isPreConfirmed: flags.yes ?? false, connection: connectionOf(config)}), {
				execute: compactExecutor({client: context.client, observe: context.observe, confirm: async effect => askTyped(compactWord, effect.summary, effect.commands, io)}),
				log: entry => {
					log.push(entry);
					context.logChange(entry);
					if (format === 'table') io.out(logLine(entry));
				},
			});
			if (final.outcome?.type !== 'done') refused();
			if (format === 'json') io.out(JSON.stringify({outcome: final.outcome ?? null, revision: final.revision ?? null, log}));
			else if (final.outcome?.type === 'done') io.out(final.outcome.message);
			else if (final.outcome) io.err(`etcdtop: compact ${final.outcome.type}: ${final.outcome.message}`);
			return exitOf(final.outcome);
		},
		config => refuseReadOnly(config, 'compact'),
	);
}

// --- alarm list | disarm ---------------------------------------------------------------------------

function alarmRows(alarms: readonly Alarm[], names: ReadonlyMap<string, string>): string {
	if (alarms.length === 0) return 'no alarm';
	return renderTable(['MEMBER', 'ID', 'ALARM'], alarms.map(alarm => [names.get(alarm.memberId) || '-', alarm.memberId, alarm.alarm])).trimEnd();
}

export async function alarmCommand({args, flags, io}: CommandContext): Promise<number> {
	const [action, ...rest] = args;
	noExtraArgs(rest, `alarm ${action ?? ''}`.trim());
	const format = formatOf(flags, `alarm ${action}`);
	if (action === 'list') {
		return withContext(flags, io, async (_config, context) => {
			const observation = await context.observe();
			const names = new Map(observation.members.map(member => [member.id, member.name]));
			const endpoint = context.answeringEndpoint(observation);
			// `alarm list` is a raft request in etcd: an explicit command may ask; the console never does.
			const alarms = await context.client(endpoint).alarmList(context.commandTimeoutMs);
			if (format === 'json') io.out(JSON.stringify({alarms: alarms.map(alarm => ({...alarm, member: names.get(alarm.memberId) ?? null}))}));
			else io.out(alarmRows(alarms, names));
			return alarms.length === 0 ? exitCodes.ok : exitCodes.critical;
		});
	}
	if (action !== 'disarm') throw new ConfigError('alarm', action ? `unknown action "${action}"` : 'an action is needed', 'use: etcdtop alarm list | alarm disarm');
	const quotaFlag = quotaFlagOf(flags);
	return withContext(
		flags,
		io,
		async (config, context, refused) => {
			const observation = await context.observe();
			const quotas = await context.quotasOf(observation, quotaFlag);
			const log: CommandLogEntry[] = [];
			const final = await runWorkflow(disarmWorkflow, initialDisarmState({quotas, connection: connectionOf(config)}), {
				execute: disarmExecutor({client: context.client, observe: firstThen(observation, context.observe), commandTimeoutMs: config.commandTimeoutMs}),
				log: entry => {
					log.push(entry);
					context.logChange(entry);
					if (format === 'table') io.out(logLine(entry));
				},
			});
			if (final.outcome?.type !== 'done') refused();
			if (format === 'json') io.out(JSON.stringify({outcome: final.outcome ?? null, disarmed: final.cleared ?? [], notes: final.notes, log}));
			else {
				for (const line of final.notes) io.out(line);
				if (final.outcome?.type === 'done') io.out(final.outcome.message);
				else if (final.outcome) io.err(`etcdtop: alarm disarm ${final.outcome.type}: ${final.outcome.message}`);
			}
			return exitOf(final.outcome);
		},
		config => refuseReadOnly(config, 'alarm disarm'),
	);
}

// --- check consistency -----------------------------------------------------------------------------

function verdictJson(verdict: Verdict): unknown {
	return {
		result: verdict.type,
		revision: verdict.revision ?? null,
		compactRevision: 'compactRevision' in verdict ? verdict.compactRevision : null,
		...('minority' in verdict ? {diverged: verdict.minority} : {}),
		...('message' in verdict ? {message: verdict.message} : {}),
		members: verdict.members.map(member => ({
			name: member.name,
			id: member.id,
			hash: member.hash === undefined ? null : member.hash.toString(16).padStart(8, '0'),
			compactRevision: member.compactRevision ?? null,
			revision: member.revision ?? null,
			error: member.failure ?? null,
		})),
		skipped: verdict.skipped,
	};
}

export async function checkCommand({args, flags, io}: CommandContext): Promise<number> {
	const [what, ...rest] = args;
	if (what !== 'consistency') throw new ConfigError('check', what ? `unknown check "${what}"` : 'a check is needed', 'use: etcdtop check consistency');
	noExtraArgs(rest, 'check consistency');
	const format = formatOf(flags, 'check consistency');
	return withContext(flags, io, async (_config, context, refused) => {
		const verdict = await checkConsistency({observe: context.observe, hashKv: async (endpoint, revision, timeoutMs) => context.client(endpoint).hashKv(revision, timeoutMs)});
		if (verdict.type !== 'consistent') refused();
		if (format === 'json') {
			io.out(JSON.stringify(verdictJson(verdict)));
		} else {
			if (verdict.members.length > 0) {
				io.out(
					renderTable(
						['NAME', 'ID', 'HASH', 'COMPACT REV', 'REVISION', 'ERROR'],
						verdict.members.map(member => [member.name || '-', member.id, member.hash === undefined ? '-' : member.hash.toString(16).padStart(8, '0'), member.compactRevision === undefined ? '-' : member.compactRevision > 0 ? String(member.compactRevision) : 'never', member.revision === undefined ? '-' : String(member.revision), member.failure ?? '']),
					).trimEnd(),
				);
			}
			for (const line of verdict.skipped) io.out(`skipped ${line}`);
			if (verdict.type === 'consistent') io.out(`consistent: every voter has the same hash of the keyspace at revision ${verdict.revision} (${verdict.compactRevision > 0 ? `compacted at ${verdict.compactRevision}` : 'never compacted'})`);
			else if (verdict.type === 'diverged') io.out(`DIVERGED at revision ${verdict.revision} (compacted at ${verdict.compactRevision} on every voter): ${verdict.minority.join(', ')} differ${verdict.minority.length === 1 ? 's' : ''} from the others; replace the diverged member from a healthy one (etcdtop member replace)`);
			else io.err(`etcdtop: check consistency incomplete: ${verdict.message}`);
		}
		if (verdict.type === 'consistent') return exitCodes.ok;
		if (verdict.type === 'diverged') return exitCodes.critical;
		// Every hash etcd refused for who the operator is (HashKV needs the root role on every release): exit 3.
		const failed = verdict.members.filter(member => member.failure !== undefined);
		return failed.length > 0 && failed.every(member => isCredentialsKind(member.failureKind)) ? exitCodes.usage : exitCodes.warning;
	});
}

// --- usage -----------------------------------------------------------------------------------------

export async function usageCommand({args, flags, io}: CommandContext): Promise<number> {
	noExtraArgs(args, 'usage');
	const format = formatOf(flags, 'usage');
	const depth = depthOf(flags);
	const prefix = flags.prefix ?? '';
	return withContext(flags, io, async (_config, context) => {
		const usage = await context.usage(prefix, depth, flags.from);
		if (format === 'json') {
			io.out(JSON.stringify(usage));
		} else {
			io.out(`${usage.member} at revision ${usage.revision} (serializable reads): ${usage.totals.keys} keys${prefix ? ` under ${visibleLine(prefix)}` : ''}, ${humanBytes(usage.totals.valueBytes)} of values`);
			io.out(usageTable(usage.rows, false));
			if (usage.isTruncated) io.out(`more than ${usage.rows.length - 1} prefixes: the rest are summed in "(other prefixes)"; use a smaller --depth or a --prefix`);
		}
		return exitCodes.ok;
	});
}
