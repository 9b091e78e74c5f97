// Every command etcdtop runs: its name, operands, help, the flags it takes and how it runs. cli.ts only
// dispatches from this table; help and the readme's flag table are generated from it (commands/help.ts).
//
// Adding a command: a file in commands/ exporting `xCommand(context: CommandContext)`, and one entry
// here listing its flags (new flags go in flags.ts). Each command loads its own modules in `run`, so
// --help, --version and usage errors stay instant and `status` never loads Ink.
import type {OperationKind} from '../ops/member-workflow.js';
import type {CommandContext} from './context.js';
import {connectionFlags, maintenanceChangeFlags, memberChangeFlags, metricsFlags, s3Flags, snapshotWriteFlags, sshFlags, type FlagKey} from './flags.js';

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
		flags: [...connectionFlags, ...sshFlags, 'interval', 'probeTimeout', 'readOnly', 'discover', ...metricsFlags, ...snapshotWriteFlags, 'snapshotEvery', 'identity', 'waitTimeout', 'commandLog', 'quotaBackendBytes'],
		run: async context => (await import('./console.js')).consoleCommand(context),
	},
	{
		name: 'status',
		operands: [],
		summary: 'one round of health checks, for scripts',
		details: 'Exit codes: 0 healthy, 1 degraded (also: a member\'s /metrics cross a warning threshold over --metrics-window), 2 alarm/no-leader/no-quorum/unreachable or a critical /metrics threshold (also: the --via host is unreachable, "tunnel down"), 3 bad usage, an SSH host key/authentication problem, or a user without the root role etcd 3.4.42+/3.5.28+/3.6.0+ require (permission-denied). Without --metrics-window the p99s are lifetime ones, shown but not judged.',
		flags: [...connectionFlags, ...sshFlags, 'probeTimeout', 'discover', 'writeOut', ...metricsFlags],
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
		summary: 'stream a verified snapshot to FILE (+ FILE.meta.json), or to s3://BUCKET/KEY or s3://BUCKET/PREFIX/',
		details: 'Without FILE a timestamped name in --snapshot-dir; a bare name (no /) goes into --snapshot-dir only when that flag is given, else the working directory. To S3 the snapshot streams through the sha256 check (and age encryption) into a multipart upload, completed only once etcd\'s sha256 matched; s3://BUCKET/PREFIX/ names it PREFIX/<cluster-id>/<YYYYMMDDTHHMMSSZ>-rev<revision>.db[.age]. Exit 0 saved, 1 failed (nothing left behind), 3 bad usage.',
		flags: [...connectionFlags, ...sshFlags, 'discover', 'from', 'overwrite', ...snapshotWriteFlags],
		run: async context => (await import('./snapshot-save.js')).snapshotSaveCli(context),
	},
	{
		name: 'snapshot status',
		operands: ['FILE'],
		summary: 'check a snapshot file (or s3:// object) without etcd: hash, revision, keys, sha256',
		details: 'FILE.age is decrypted in memory with --identity or the passphrase (ETCDTOP_SNAPSHOT_PASSPHRASE, or asked for on a terminal). An s3:// object is downloaded to a private temporary file (ciphertext stays ciphertext), checked and removed.',
		flags: ['writeOut', 'identity', ...s3Flags],
		run: async context => (await import('./snapshot-status.js')).snapshotStatusCli(context),
	},
	{
		name: 'snapshot restore-plan',
		operands: ['FILE'],
		summary: 'print the restore commands for every member (runs nothing)',
		details: 'Members come from the live cluster (a serializable read, and the plan says from which member), else FILE.meta.json; {name} in --data-dir becomes each member\'s name. On a kubeadm node (or with --kubeadm DIR) the plan is kubeadm\'s: static pods stopped by moving their manifests out, the restore into a new data dir, the manifest\'s hostPath pointed at it, the manifests moved back, checked with the node\'s TLS files. For an s3:// object the plan fetches it onto each host first.',
		flags: [...connectionFlags, 'dataDir', 'writeOut', 'tool', ...s3Flags],
		run: async context => (await import('./snapshot-restore-plan.js')).snapshotRestorePlanCli(context),
	},
	{
		name: 'snapshot inspect',
		operands: ['FILE'],
		summary: 'what fills a snapshot, by key prefix: keys, latest values, old revisions',
		details: 'Groups keys by their first --depth path segments (3: /registry/<resource>/<namespace>/). Old revisions are what a compaction would free. Exit 1 when the file is damaged.',
		flags: ['depth', 'writeOut'],
		run: async context => (await import('./snapshot-inspect.js')).snapshotInspectCli(context),
	},
	{
		name: 'defrag',
		operands: [],
		summary: 'defragment every member, followers first and the leader last',
		details:
			'Preflight on every voter (status and a linearizable read): refused on CORRUPT, an unreachable voter or no leader; NOSPACE is allowed. Shows the plan, asks for "defrag" typed (unless --yes), then defragments one member at a time with a deadline from its database size, waiting after each until it answers and the cluster has a leader. Learners are skipped (etcd refuses Defragment on them). Exit 0 when every planned member succeeded, 1 cancelled, 2 refused or failed.',
		flags: [...connectionFlags, ...sshFlags, ...maintenanceChangeFlags, 'yes', 'compact', 'disarm', 'rule', 'dryRun', 'quotaBackendBytes', 'writeOut'],
		run: async context => (await import('./maintenance.js')).defragCommand(context),
	},
	{
		name: 'compact',
		operands: [],
		summary: 'compact the keyspace (physical) to the current revision, --revision N or --keep-revisions N',
		details: 'Asks for "compact" typed unless --yes. Exit 0 done, 1 cancelled, 2 refused or failed.',
		flags: [...connectionFlags, ...sshFlags, ...maintenanceChangeFlags, 'yes', 'revision', 'keepRevisions', 'writeOut'],
		run: async context => (await import('./maintenance.js')).compactCommand(context),
	},
	{
		name: 'alarm list',
		operands: [],
		summary: 'the cluster\'s active alarms (etcd\'s alarm list: one raft request)',
		details: 'Exit 0 when no alarm is active, 2 when one is.',
		flags: [...connectionFlags, ...sshFlags, 'probeTimeout', 'writeOut'],
		run: async context => (await import('./maintenance.js')).alarmCommand({...context, args: ['list', ...context.args]}),
	},
	{
		name: 'alarm disarm',
		operands: [],
		summary: 'disarm NOSPACE (never CORRUPT), refused while a member is at 90% of its quota or more',
		flags: [...connectionFlags, ...sshFlags, ...maintenanceChangeFlags, 'quotaBackendBytes', 'writeOut'],
		run: async context => (await import('./maintenance.js')).alarmCommand({...context, args: ['disarm', ...context.args]}),
	},
	{
		name: 'check consistency',
		operands: [],
		summary: 'compare every voter\'s HashKV at one revision they all hold',
		details: 'Hashes are compared only when the members\' compact revisions agree. Exit 0 consistent, 1 incomplete (a voter did not answer), 2 diverged.',
		flags: [...connectionFlags, ...sshFlags, 'probeTimeout', 'writeOut'],
		run: async context => (await import('./maintenance.js')).checkCommand({...context, args: ['consistency', ...context.args]}),
	},
	{
		name: 'usage',
		operands: [],
		summary: 'what fills the database, by key prefix, read live from one member',
		details: 'Bounded, paged, serializable range reads at one revision from --from (default the voter with the highest applied index); the keyspace is never held in memory.',
		flags: [...connectionFlags, ...sshFlags, 'probeTimeout', 'prefix', 'depth', 'from', 'writeOut'],
		run: async context => (await import('./maintenance.js')).usageCommand(context),
	},
	{
		name: 'snapshot list',
		operands: ['DIR?'],
		summary: 'snapshots in DIR or under s3://BUCKET/PREFIX/, newest first, with their manifests\' revision',
		details: 'Without DIR, --snapshot-dir. CHECKED "sha256 ok" means etcdtop wrote it (with its manifest) after etcd\'s sha256 matched.',
		flags: ['snapshotDir', 'writeOut', ...s3Flags],
		run: async context => (await import('./snapshot-s3.js')).snapshotListCli(context),
	},
	{
		name: 'snapshot fetch',
		operands: ['SOURCE', 'FILE'],
		summary: 'download s3://BUCKET/KEY, verify it, then write FILE (+ FILE.meta.json) atomically',
		details: 'The download goes to FILE.part (0600) and is checked as snapshot status checks a file (an encrypted one with --identity or the passphrase) before it is renamed to FILE. Exit 0 fetched, 1 failed (no FILE, no FILE.part), 3 bad usage.',
		flags: ['overwrite', 'identity', ...s3Flags],
		run: async context => (await import('./snapshot-s3.js')).snapshotFetchCli(context),
	},
	{
		name: 'snapshot prune',
		operands: ['DIR?'],
		summary: 'apply --keep / --keep-policy to DIR or s3://BUCKET/PREFIX/ (with --dry-run: only list)',
		details: 'Only snapshots etcdtop wrote (with a .meta.json) are candidates, never the newest verified one; in a bucket each PREFIX/<cluster-id>/ is pruned on its own. Without DIR, --snapshot-dir.',
		flags: ['snapshotDir', 'keep', 'keepPolicy', 'dryRun', ...s3Flags],
		run: async context => (await import('./snapshot-s3.js')).snapshotPruneCli(context),
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
