import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {ConfigError} from '../config/errors.js';
import {Poller, type PollerOptions} from '../poller/poller.js';
import {createRoutes} from '../route/routes.js';
import {loadSnapshotOptions, resolvedConfig, withVia, type CommandContext} from './context.js';

/**
 * Starts polling before the UI modules load: importing Ink and React takes about half a second, during
 * which the first answers arrive, so the first frame already shows the cluster.
 */
export function startConsolePoller(config: Config, options: Partial<Pick<PollerOptions, 'routes'>> = {}): Poller {
	// Members probed on the same tick answer within a few milliseconds of each other: one frame for all.
	const poller = new Poller(config, {routes: options.routes ?? createRoutes(connectOptionsOf(config)), batchMs: 25});
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
		return runConsole(config, poller, {snapshots: via ? {...snapshots, routes: via.routes} : snapshots, memberOps, commandLog});
	});
}
