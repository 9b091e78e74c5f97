import {ConfigError} from '../config/errors.js';
import {checkedDuration} from '../config/config.js';
import {durationRanges} from '../config/duration.js';
import {startConsolePoller} from '../console/poller.js';
import {parseByteSize} from '../ops/defrag-rule.js';
import {loadSnapshotOptions, openCommandLog, resolvedConfig, withVia, type CommandContext} from './context.js';
import type {ParsedFlags} from './flags.js';
import {defaultSnapshotDir} from '../config/snapshot-options.js';
import {checkedSnapshotDir} from './snapshot-save.js';

/** `--snapshot-dir s3://BUCKET/PREFIX/`: where the pane lists and saves in S3 (a prefix: each save gets a new timestamped key). */
async function remoteSnapshotDir(url: string, flags: ParsedFlags) {
	const [{s3LocationOf}, {parseS3Settings}] = await Promise.all([import('./snapshot-s3.js'), import('../config/s3-options.js')]);
	const location = s3LocationOf(url.endsWith('/') ? url : `${url}/`, '--snapshot-dir');
	return {location, settings: parseS3Settings(flags)};
}

/** `etcdtop` with no command: the live console, with SSH up (or retrying) before it takes the screen. */
export async function consoleCommand({flags, io}: CommandContext): Promise<number> {
	const config = await resolvedConfig(flags, io);
	const {options, recipientsOf} = await loadSnapshotOptions(flags);
	// An s3:// --snapshot-dir: the bucket is listed beside the local snapshot directory, and saves go to it.
	const remote = /^s3:\/\//i.test(options.snapshotDir) ? await remoteSnapshotDir(options.snapshotDir, flags) : undefined;
	const passphrase = await (await import('./snapshot-secrets.js')).consolePassphrase(options);
	const snapshots = {
		directory: remote ? defaultSnapshotDir() : options.snapshotDir,
		keep: options.policy,
		everyMs: options.everyMs,
		recipients: recipientsOf(options, passphrase),
		decryptKeys: {identityFiles: options.identityFiles, passphrase},
		...(remote ? {remote} : {}),
	};
	// A snapshot directory another user could redirect or fill is refused before the console starts (exit 3).
	checkedSnapshotDir(snapshots.directory, remote ? 'the local snapshot directory' : '--snapshot-dir');
	// Member changes and the Maintenance pane take the commands' --wait-timeout and --command-log.
	const waitTimeoutMs = checkedDuration(flags.waitTimeout ?? '5m', '--wait-timeout', durationRanges.waitTimeout);
	// The Maintenance pane's defrag takes --quota-backend-bytes (when Status has no quota) and --wait-timeout too.
	const quotaFlag = flags.quotaBackendBytes === undefined ? undefined : parseByteSize(flags.quotaBackendBytes);
	if (flags.quotaBackendBytes !== undefined && quotaFlag === undefined) throw new ConfigError('--quota-backend-bytes', `"${flags.quotaBackendBytes}" is not a size in bytes`, 'e.g. 8589934592 or 8GiB');
	// Opened once, here: member changes and the Maintenance pane both append to it; a warning about its
	// mode is the log pane's first line.
	const notes: string[] = [];
	const logFile = openCommandLog(flags.commandLog, text => notes.push(text));
	try {
		// SSH is up (or retrying) before the console takes the screen: a host key prompt or refusal stays readable.
		return await withVia(config, io, async via => {
			const poller = startConsolePoller(config, via?.routes);
			// Ink and React load now, while the first answers arrive.
			const {runConsoleRoot} = await import('../console/root.js');
			return runConsoleRoot(config, poller, {
				snapshots,
				members: {waitTimeoutMs},
				logFile,
				maintenance: {quotaFlag, settleTimeoutMs: waitTimeoutMs},
				...(via ? {via} : {}),
				notes,
			});
		});
	} finally {
		logFile.close();
	}
}
