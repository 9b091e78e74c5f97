import {constants as osConstants} from 'node:os';
import {dirname, resolve} from 'node:path';
import type {Config} from '../config/config.js';
import {ConfigError} from '../config/errors.js';
import {humanBytes} from '../model/format.js';
import {saveFromCluster, type ClusterSaveOptions} from '../snapshot/cluster-save.js';
import {SnapshotSaveError} from '../snapshot/save.js';
import {applyRetention, snapshotFileName} from '../snapshot/snapshot-dir.js';
import {loadSnapshotOptions, resolvedConfig, withVia, type CommandContext, type CommandIo} from './context.js';

export interface SnapshotSaveOptions extends ClusterSaveOptions {
	/** --keep N: after a successful save, keep the newest N snapshots etcdtop wrote in the file's directory. */
	readonly keep?: number;
}

/**
 * Where `snapshot save` writes: FILE as given (a path, relative to the working directory, like etcdctl); a
 * bare name goes into --snapshot-dir when that flag was given; no FILE at all means a timestamped name in
 * --snapshot-dir (created 0700 if missing). Encrypted saves end in .age.
 */
export function resolveSaveTarget(
	file: string | undefined,
	snapshot: {readonly snapshotDir: string; readonly isSnapshotDirExplicit: boolean},
	isEncrypted: boolean,
	now: Date,
): {path: string; isInSnapshotDir: boolean} {
	let path: string;
	let isInSnapshotDir = false;
	if (file === undefined) {
		path = resolve(snapshot.snapshotDir, snapshotFileName(now, isEncrypted));
		isInSnapshotDir = true;
	} else if (snapshot.isSnapshotDirExplicit && !file.includes('/')) {
		path = resolve(snapshot.snapshotDir, file);
		isInSnapshotDir = true;
	} else {
		path = resolve(file);
	}
	if (isEncrypted && !path.endsWith('.age')) path = `${path}.age`;
	return {path, isInSnapshotDir};
}

/**
 * `etcdtop snapshot save FILE [--from NAME|ID] [--overwrite]`: 0 when FILE and its manifest were saved, 1 when
 * the save failed (and left neither FILE nor FILE.part behind). Usage problems throw ConfigError (exit 3).
 */
export async function snapshotSaveCommand(config: Config, file: string, options: SnapshotSaveOptions, io: CommandIo): Promise<number> {
	let result;
	try {
		result = await saveFromCluster(config, file, {...options, onSource: io.err});
	} catch (error) {
		// The operator's FILE or --from is the problem: bad usage, exit 3.
		if (error instanceof SnapshotSaveError && error.input) throw new ConfigError(error.input.input, error.problem, error.input.fix);
		const isBeforeStream = error instanceof SnapshotSaveError && error.kind === 'no-source';
		io.err(`snapshot save${isBeforeStream ? '' : ' failed'}: ${(error as Error).message}`);
		// As a shell reports a process a signal ended: 128 + the signal's number.
		const signal = error instanceof SnapshotSaveError ? error.interruptedBy : undefined;
		return signal ? 128 + osConstants.signals[signal] : 1;
	}
	io.out(`Snapshot saved at ${result.path} (${humanBytes(result.fileSize)}, sha256 ${result.sha256}) from ${result.member.name} (${result.member.id}) in ${(result.elapsedMs / 1000).toFixed(1)}s`);
	for (const sidecar of result.sidecars) io.out(`Manifest written to ${sidecar}`);
	if (options.keep !== undefined) {
		try {
			const removed = applyRetention(dirname(result.path), options.keep);
			if (removed.length > 0) io.out(`--keep ${options.keep}: removed ${removed.join(', ')}`);
		} catch (error) {
			io.err(`--keep ${options.keep}: retention failed: ${(error as Error).message}`);
			return 1;
		}
	}
	return 0;
}

/** `etcdtop snapshot save [FILE]`: the flags -> target path and recipients -> the save, over --via or direct. */
export async function snapshotSaveCli({args: [file], flags, io}: CommandContext): Promise<number> {
	const {options, recipientsOf} = await loadSnapshotOptions(flags);
	const {readPassphrase} = await import('./snapshot-secrets.js');
	const config = await resolvedConfig(flags, io);
	const recipients = recipientsOf(options, options.isPassphraseEncrypting ? await readPassphrase(true) : undefined);
	const target = resolveSaveTarget(file, options, recipients.length > 0, new Date());
	return withVia(config, io, async via =>
		snapshotSaveCommand(
			config,
			target.path,
			{
				from: flags.from,
				isOverwriting: flags.overwrite ?? false,
				recipients,
				...(options.keep !== undefined ? {keep: options.keep} : {}),
				isCreatingDirectory: target.isInSnapshotDir,
				...(via ? {routes: via.routes} : {}),
			},
			io,
		),
	);
}
