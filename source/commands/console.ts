import {ConfigError} from '../config/errors.js';
import {checkedDuration} from '../config/config.js';
import {durationRanges} from '../config/duration.js';
import {startConsolePoller} from '../console/poller.js';
import {parseByteSize} from '../ops/defrag-rule.js';
import {loadSnapshotOptions, resolvedConfig, withVia, type CommandContext} from './context.js';

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
	// Member changes and the Maintenance pane take the commands' --wait-timeout and --command-log.
	const waitTimeoutMs = checkedDuration(flags.waitTimeout ?? '5m', '--wait-timeout', durationRanges.waitTimeout);
	// The Maintenance pane's defrag takes --quota-backend-bytes (when Status has no quota) and --wait-timeout too.
	const quotaFlag = flags.quotaBackendBytes === undefined ? undefined : parseByteSize(flags.quotaBackendBytes);
	if (flags.quotaBackendBytes !== undefined && quotaFlag === undefined) throw new ConfigError('--quota-backend-bytes', `"${flags.quotaBackendBytes}" is not a size in bytes`, 'e.g. 8589934592 or 8GiB');
	// SSH is up (or retrying) before the console takes the screen: a host key prompt or refusal stays readable.
	return withVia(config, io, async via => {
		const poller = startConsolePoller(config, via?.routes);
		// Ink and React load now, while the first answers arrive.
		const {runConsoleRoot} = await import('../console/root.js');
		const {consoleMemberOps} = await import('./member.js');
		return runConsoleRoot(config, poller, {
			snapshots,
			memberOps: async log => consoleMemberOps(config, flags, via, log),
			maintenance: {quotaFlag, settleTimeoutMs: waitTimeoutMs, commandLog: flags.commandLog},
			...(via ? {via} : {}),
		});
	});
}
