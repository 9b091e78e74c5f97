import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {ConfigError} from '../config/errors.js';
import {metricsPlan} from '../poller/metrics-plan.js';
import {Poller, type PollerOptions} from '../poller/poller.js';
import {createRoutes} from '../route/routes.js';
import {loadSnapshotOptions, resolvedConfig, withVia, type CommandContext} from './context.js';
import type {CommandLog} from '../ui/command-log.js';
import type {Via} from './via.js';

/**
 * Starts polling before the UI modules load: importing Ink and React takes about half a second, during
 * which the first answers arrive, so the first frame already shows the cluster.
 */
export function startConsolePoller(config: Config, options: Partial<Pick<PollerOptions, 'routes'>> = {}): Poller {
	// Members probed on the same tick answer within a few milliseconds of each other: one frame for all.
	const metrics = metricsPlan(config, 'console');
	const poller = new Poller(config, {routes: options.routes ?? createRoutes(connectOptionsOf(config)), batchMs: 25, ...(metrics ? {metrics} : {})});
	poller.start();
	return poller;
}

/** `etcdtop` with no command: the live console, with SSH up (or retrying) before it takes the screen. */
export async function consoleCommand({flags, io}: CommandContext): Promise<number> {
	const config = await resolvedConfig(flags, io);
	const {options, recipientsOf} = await loadSnapshotOptions(flags);
	if (/^s3:\/\//i.test(options.snapshotDir)) {
		throw new ConfigError('--snapshot-dir', 'the console\'s Snapshots pane lists and saves on local disk only, for now', 'give a local directory; etcdtop snapshot list and snapshot save work with s3:// URLs');
	}
	const passphrase = await (await import('./snapshot-secrets.js')).consolePassphrase(options);
	const snapshots = {
		directory: options.snapshotDir,
		keep: options.keep,
		everyMs: options.everyMs,
		recipients: recipientsOf(options, passphrase),
		decryptKeys: {identityFiles: options.identityFiles, passphrase},
	};
	// SSH is up (or retrying) before the console takes the screen: a host key prompt or refusal stays readable.
	return withVia(config, io, async via => {
		const poller = startConsolePoller(config, via ? {routes: via.routes} : {});
		const {runConsole} = await import('../ui/run-console.js');
		const {consoleMemberOps} = await import('./member.js');
		const {CommandLog} = await import('../ui/command-log.js');
		const commandLog = new CommandLog();
		if (via) (await import('./via.js')).logPermanentFailure(via, commandLog);
		const memberOps = await consoleMemberOps(config, flags, via, commandLog);
		const maintenance = await consoleMaintenance(config, flags, via, commandLog);
		return runConsole(config, poller, {snapshots: via ? {...snapshots, routes: via.routes} : snapshots, memberOps, commandLog, maintenance});
	});
}

/** The Maintenance pane's store: the same machines, runner, routes and command log file as the commands. */
async function consoleMaintenance(config: Config, flags: CommandContext['flags'], via: Via | undefined, commandLog: CommandLog) {
	const {MaintenanceStore} = await import('../ui/maintenance-store.js');
	const {openMaintenanceContext} = await import('./maintenance-context.js');
	const {parseByteSize} = await import('../ops/defrag-rule.js');
	const {parseDuration} = await import('../config/duration.js');
	const {ConfigError} = await import('../config/errors.js');
	const quotaFlag = flags.quotaBackendBytes === undefined ? undefined : parseByteSize(flags.quotaBackendBytes);
	if (flags.quotaBackendBytes !== undefined && quotaFlag === undefined) throw new ConfigError('--quota-backend-bytes', `"${flags.quotaBackendBytes}" is not a size in bytes`, 'e.g. 8589934592 or 8GiB');
	const settleTimeoutMs = parseDuration(flags.waitTimeout ?? '5m') ?? 300_000;
	return new MaintenanceStore({
		connection: {endpoints: config.endpoints, ...(config.auth ? {user: config.auth.username} : {})},
		quotaFlag,
		settleTimeoutMs,
		commandTimeoutMs: config.commandTimeoutMs,
		open: async () => openMaintenanceContext(config, via, {commandLog: flags.commandLog, warn: () => undefined}),
		onLog: entry => commandLog.append({at: entry.at, severity: entry.result.startsWith('failed') ? 'error' : 'info', text: `${entry.step}: $ ${entry.command}  # ${entry.result}`}),
	});
}
