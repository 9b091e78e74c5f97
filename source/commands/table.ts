// Every command etcdtop runs: its name, operands, help, the flags it takes and how it runs. cli.ts only
// dispatches from this table; help and the readme's flag table are generated from it (commands/help.ts).
//
// Adding a command: a file in commands/ exporting `xCommand(context: CommandContext)`, and one entry
// here listing its flags (new flags go in flags.ts). Each command loads its own modules in `run`, so
// --help, --version and usage errors stay instant and `status` never loads Ink.
import type {OperationKind} from '../ops/member-workflow.js';
import type {CommandContext} from './context.js';
import {connectionFlags, memberChangeFlags, snapshotWriteFlags, sshFlags, type FlagKey} from './flags.js';

export interface CommandSpec {
	/** The words that name it: 'snapshot save'; '' for the console, which runs when no command is given. */
	readonly name: string;
	/** Operands after the name; a trailing '?' marks an optional one. */
	readonly operands: readonly string[];
	/** One line for `etcdtop --help`. */
	readonly summary: string;
	/** More lines for `etcdtop COMMAND --help`. */
	readonly details?: string;
	readonly flags: readonly FlagKey[];
	readonly run: (context: CommandContext) => Promise<number>;
}

const memberCommand = (action: OperationKind, operand: string, summary: string, flags: readonly FlagKey[], details?: string): CommandSpec => ({
	name: `member ${action}`,
	operands: [operand],
	summary,
	...(details ? {details} : {}),
	flags: [...connectionFlags, ...sshFlags, ...memberChangeFlags, 'yes', ...flags],
	run: async context => (await import('./member.js')).memberCli(action, context),
});

export const commands: readonly CommandSpec[] = [
	{
		name: '',
		operands: [],
		summary: 'the live console (default)',
		flags: [...connectionFlags, ...sshFlags, 'interval', 'probeTimeout', 'readOnly', 'discover', ...snapshotWriteFlags, 'snapshotEvery', 'identity', 'waitTimeout', 'commandLog'],
		run: async context => (await import('./console.js')).consoleCommand(context),
	},
	{
		name: 'status',
		operands: [],
		summary: 'one round of health checks, for scripts',
		details: 'Exit codes: 0 healthy, 1 degraded, 2 alarm/no-leader/no-quorum/unreachable (also: the --via host is unreachable, "tunnel down"), 3 bad usage or an SSH host key/authentication problem.',
		flags: [...connectionFlags, ...sshFlags, 'probeTimeout', 'discover', 'writeOut'],
		run: async context => (await import('./status.js')).statusCommand(context),
	},
	{
		name: 'demo',
		operands: [],
		summary: 'a throwaway local cluster with the console on it',
		flags: ['members', 'interval', 'probeTimeout', 'readOnly', 'discover'],
		run: async context => (await import('./demo.js')).runDemo(context.flags),
	},
	{
		name: 'snapshot save',
		operands: ['FILE?'],
		summary: 'stream a verified snapshot to FILE (+ FILE.meta.json)',
		details: 'Without FILE a timestamped name in --snapshot-dir; a bare name (no /) goes into --snapshot-dir only when that flag is given, else the working directory.',
		flags: [...connectionFlags, ...sshFlags, 'discover', 'from', 'overwrite', ...snapshotWriteFlags],
		run: async context => (await import('./snapshot-save.js')).snapshotSaveCli(context),
	},
	{
		name: 'snapshot status',
		operands: ['FILE'],
		summary: 'check a snapshot file without etcd: hash, revision, keys, sha256',
		details: 'FILE.age is decrypted in memory with --identity or the passphrase (ETCDTOP_SNAPSHOT_PASSPHRASE, or asked for on a terminal).',
		flags: ['writeOut', 'identity'],
		run: async context => (await import('./snapshot-status.js')).snapshotStatusCli(context),
	},
	{
		name: 'snapshot restore-plan',
		operands: ['FILE'],
		summary: 'print the restore commands for every member (runs nothing)',
		details: 'Members come from the live cluster, else FILE.meta.json; {name} in --data-dir becomes each member\'s name.',
		flags: [...connectionFlags, 'dataDir', 'writeOut', 'tool'],
		run: async context => (await import('./snapshot-restore-plan.js')).snapshotRestorePlanCli(context),
	},
	memberCommand(
		'replace',
		'FAILED',
		'replace a failed member: remove it, add its replacement, start it',
		['newName', 'newPeerUrl', 'newClientUrl', 'noLearner', 'startCommand'],
		'The replacement is added as a learner, promoted once in sync, and started over SSH (--start-command) or by you; run it again to resume after an interruption. Exit 0 once it is a healthy voter.',
	),
	memberCommand('add', 'NAME', 'add a member (a voter, or a learner with --learner)', ['peerUrl', 'clientUrl', 'learner', 'startCommand']),
	memberCommand('remove', 'NAME|ID', 'remove a member, after a typed confirmation', []),
	memberCommand('promote', 'NAME|ID', 'promote a learner that is in sync to a voter', []),
	memberCommand('move-leader', 'NAME|ID', 'move leadership to this member', []),
];

/** The flags of a command as it takes them, each once. */
export function flagsOf(command: CommandSpec): readonly FlagKey[] {
	return [...new Set(command.flags)];
}
