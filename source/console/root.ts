import type {Config} from '../config/config.js';
import type {Poller} from '../poller/poller.js';
import {tunnelDownFailure} from '../route/tunnel-failure.js';
import {defaultSnapshotDir} from '../config/snapshot-options.js';
import {etcdctlConnectionOf} from '../config/printed-client.js';
import type {SshConnection} from '../ssh/connection.js';
import type {Routes} from '../route/routes.js';
import {CommandLog} from '../ui/command-log.js';
import {buildKeymap} from '../ui/keymap.js';
import {MaintenanceStore} from '../ui/maintenance-store.js';
import {noCommandLogFile, type CommandLogFile} from '../output/command-log-file.js';
import {runConsole} from '../ui/run-console.js';
import {openMaintenanceContext} from './maintenance-context.js';
import {memberOpsBackend} from './member-ops.js';
import {SnapshotStore, type SnapshotStoreOptions} from './snapshot-store.js';

/**
 * The one composition root of the console. Commands (`etcdtop`, `etcdtop demo`) validate their flags and
 * start the poller (console/poller.ts, before Ink loads) and open --command-log; everything else the
 * console needs is built here and nowhere else: the log pane, the snapshots and maintenance panes' stores,
 * the keymap, what --via adds, and the member wizard's backend (console/member-ops.ts, as `etcdtop member`
 * runs it); then ui/run-console.tsx draws it.
 */
export interface ConsoleRootOptions {
	/** The snapshots pane: --snapshot-dir and friends; default the standard directory, nothing scheduled. */
	readonly snapshots?: Omit<SnapshotStoreOptions, 'config' | 'routes'>;
	/**
	 * Member changes from the console (R, a, D, L), run as `etcdtop member …` runs them, writing to the log
	 * pane and --command-log; without it (or with --read-only) those keys say they are not available.
	 */
	readonly members?: {readonly waitTimeoutMs: number};
	/** --command-log, opened once by the command: member changes and the Maintenance pane's both go there. */
	readonly logFile?: CommandLogFile;
	/** The Maintenance pane (defrag, compact, disarm, check, usage); without it the pane says it is not available. */
	readonly maintenance?: ConsoleMaintenanceOptions;
	/** --via: its routes carry the snapshot stream and member changes; a refusal for good is logged. */
	readonly via?: {readonly routes: Routes; readonly connection: SshConnection};
	/** Lines for the log pane from before it existed (a --command-log mode warning). */
	readonly notes?: readonly string[];
	readonly onExit?: () => Promise<void> | void;
}

export interface ConsoleMaintenanceOptions {
	/** --quota-backend-bytes, parsed by the command: the quota when Status and /metrics have none. */
	readonly quotaFlag: number | undefined;
	/** --wait-timeout: how long a defragmented member may take to answer again. */
	readonly settleTimeoutMs: number;
}

const defaultSnapshots: Omit<SnapshotStoreOptions, 'config' | 'routes'> = {directory: defaultSnapshotDir(), keep: undefined, everyMs: undefined, recipients: [], decryptKeys: {identityFiles: [], passphrase: undefined}};

export async function runConsoleRoot(config: Config, poller: Poller, {snapshots: snapshotOptions = defaultSnapshots, members, logFile = noCommandLogFile, maintenance: maintenanceOptions, via, notes = [], onExit}: ConsoleRootOptions = {}): Promise<number> {
	const commandLog = new CommandLog();
	for (const text of notes) commandLog.append({at: Date.now(), severity: 'warn', text});
	if (via) logPermanentFailure(via.connection, commandLog);
	const memberOps = members && !config.isReadOnly ? memberOpsBackend(config, {waitTimeoutMs: members.waitTimeoutMs, ...(via ? {via} : {}), logFile, pane: commandLog}) : undefined;
	const snapshots = new SnapshotStore({config, ...snapshotOptions, ...(via ? {routes: via.routes} : {})});
	snapshots.start();
	const maintenance = maintenanceOptions ? consoleMaintenance(config, commandLog, logFile, maintenanceOptions, via) : undefined;
	return runConsole(poller, {
		keymap: buildKeymap({isReadOnly: config.isReadOnly}),
		isReadOnly: config.isReadOnly,
		snapshots,
		commandLog,
		...(memberOps ? {memberOps} : {}),
		...(maintenance ? {maintenance} : {}),
		// A save in progress is abandoned, and its FILE.part removed, before the process may exit.
		onStop: async () => snapshots.stop(),
		...(onExit ? {onExit} : {}),
	});
}

/** The Maintenance pane's store: the same machines, runner, routes and command log file as the commands. */
function consoleMaintenance(config: Config, commandLog: CommandLog, logFile: CommandLogFile, {quotaFlag, settleTimeoutMs}: ConsoleMaintenanceOptions, via: {readonly routes: Routes} | undefined): MaintenanceStore {
	return new MaintenanceStore({
		connection: etcdctlConnectionOf(config),
		quotaFlag,
		settleTimeoutMs,
		commandTimeoutMs: config.commandTimeoutMs,
		open: async () => openMaintenanceContext(config, via, logFile),
		onLog: entry => commandLog.append({at: entry.at, severity: entry.result.startsWith('failed') ? 'error' : 'info', text: `${entry.step}: $ ${entry.command}  # ${entry.result}`}),
	});
}

/**
 * A refusal that will not be retried (a changed host key, a rejected key) is written to the console's
 * log when it happens: rows that were already "tunnel down" would not log it again.
 */
function logPermanentFailure(connection: SshConnection, log: CommandLog): void {
	connection.on('state-changed', status => {
		if (status.state !== 'failed') return;
		const failure = tunnelDownFailure(connection);
		if (failure) log.append({at: Date.now(), severity: 'error', text: failure.message});
	});
}
