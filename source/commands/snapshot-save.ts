import {constants as osConstants} from 'node:os';
import {dirname, resolve} from 'node:path';
import type {Config} from '../config/config.js';
import {ConfigError} from '../config/errors.js';
import {CredentialsRefusedError} from '../etcd/errors.js';
import {humanBytes} from '../model/format.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {createRoutes} from '../route/routes.js';
import {visibleLine} from '../model/visible-text.js';
import type {RetentionOutcome} from '../snapshot/owned-file.js';
import {saveFromCluster, type ClusterSaveOptions} from '../snapshot/cluster-save.js';
import {SnapshotSaveError} from '../snapshot/save.js';
import {applyRetention, checkSnapshotDir, snapshotFileName, UnsafeSnapshotDirError} from '../snapshot/snapshot-dir.js';
import {loadSnapshotOptions, resolvedConfig, withVia, type CommandContext, type CommandIo} from './context.js';
import {describePolicy, type RetentionPolicy} from '../model/retention.js';

export interface SnapshotSaveOptions extends Omit<ClusterSaveOptions, 'routes'> {
	/** --via's routes; default direct. */
	readonly routes?: ClusterSaveOptions['routes'];
	/** --keep N / --keep-policy: after a successful save, retention over the snapshots etcdtop wrote in the file's directory. */
	readonly policy?: RetentionPolicy;
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
 * A snapshot directory another user could redirect or fill is the operator's to fix (exit 3), before
 * anything is saved, listed or pruned there; `input` names where it came from (--snapshot-dir, DIR, FILE).
 */
export function checkedSnapshotDir(directory: string, input: string): void {
	try {
		checkSnapshotDir(directory);
	} catch (error) {
		if (error instanceof UnsafeSnapshotDirError) throw new ConfigError(input, error.problem, error.fix);
		throw error;
	}
}

/**
 * What retention removed, on stdout; each file it left alone, and why, on stderr: a manifest that names
 * another file, or a file whose size or sha256 is not what etcdtop recorded, is never deleted.
 */
export function reportRetention(label: string, outcome: RetentionOutcome, io: CommandIo, {isDryRun = false}: {isDryRun?: boolean} = {}): void {
	if (outcome.removed.length > 0) io.out(`${label}: ${isDryRun ? 'would remove' : 'removed'} ${outcome.removed.map(visibleLine).join(', ')}`);
	for (const {name, why} of outcome.leftAlone) io.err(`${label}: left ${visibleLine(name)} alone: ${visibleLine(why)}`);
}

/** Each hash named for what it is: a backup pipeline checks the first with sha256sum, etcd checks the second. */
export function hashLines(hashes: {readonly fileSha256: string; readonly etcdSha256: string}): string[] {
	return [`  sha256 of the file (sha256sum): ${hashes.fileSha256}`, `  etcd's sha256 of the database:  ${hashes.etcdSha256}`];
}

/**
 * `etcdtop snapshot save FILE [--from NAME|ID] [--overwrite]`: 0 when FILE and its manifest were saved, 1 when
 * the save failed (and left neither FILE nor FILE.part behind). Usage problems throw ConfigError (exit 3).
 */
export async function snapshotSaveCommand(config: Config, file: string, options: SnapshotSaveOptions, io: CommandIo): Promise<number> {
	// Retention will prune FILE's directory: refused before the save, not after it.
	if (options.policy !== undefined) checkedSnapshotDir(dirname(resolve(file)), options.isCreatingDirectory ? '--snapshot-dir' : 'FILE');
	let result;
	try {
		result = await saveFromCluster(config, file, {...options, routes: options.routes ?? createRoutes(connectOptionsOf(config)), onSource: io.err});
	} catch (error) {
		// The operator's FILE, --from or credentials are the problem: bad usage, exit 3.
		if (error instanceof SnapshotSaveError && error.input) throw new ConfigError(error.input.input, error.problem, error.input.fix);
		if (error instanceof CredentialsRefusedError) throw error;
		const isBeforeStream = error instanceof SnapshotSaveError && error.kind === 'no-source';
		io.err(`snapshot save${isBeforeStream ? '' : ' failed'}: ${(error as Error).message}`);
		// As a shell reports a process a signal ended: 128 + the signal's number.
		const signal = error instanceof SnapshotSaveError ? error.interruptedBy : undefined;
		return signal ? 128 + osConstants.signals[signal] : 1;
	}
	io.out(`Snapshot saved at ${result.path} (${humanBytes(result.fileSize)}) from ${result.member.name} (${result.member.id}) in ${(result.elapsedMs / 1000).toFixed(1)}s`);
	for (const line of hashLines(result)) io.out(line);
	for (const sidecar of result.sidecars) io.out(`Manifest written to ${sidecar}`);
	if (options.policy !== undefined) {
		const label = describePolicy(options.policy);
		try {
			reportRetention(label, await applyRetention(dirname(result.path), options.policy), io);
		} catch (error) {
			io.err(`${label}: retention failed: ${(error as Error).message}`);
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
	// s3:// as FILE, or no FILE (or a bare name) with an s3:// --snapshot-dir: the save goes to S3.
	const {isS3Url} = await import('../snapshot/remote-name.js');
	const remoteTarget = isS3Url(file)
		? file!
		: isS3Url(options.snapshotDir) && (file === undefined || (options.isSnapshotDirExplicit && !file.includes('/')))
			? `${options.snapshotDir.replace(/\/?$/, '/')}${file ?? ''}`
			: undefined;
	if (remoteTarget !== undefined) {
		const {snapshotSaveS3Command} = await import('./snapshot-s3.js');
		const {parseS3Settings} = await import('../config/s3-options.js');
		const s3 = parseS3Settings(flags);
		return withVia(config, io, async via =>
			snapshotSaveS3Command(config, remoteTarget, s3, {from: flags.from, isOverwriting: flags.overwrite ?? false, recipients, policy: options.policy, ...(via ? {routes: via.routes} : {})}, io),
		);
	}
	const target = resolveSaveTarget(file, options, recipients.length > 0, new Date());
	return withVia(config, io, async via =>
		snapshotSaveCommand(
			config,
			target.path,
			{
				from: flags.from,
				isOverwriting: flags.overwrite ?? false,
				recipients,
				...(options.policy !== undefined ? {policy: options.policy} : {}),
				isCreatingDirectory: target.isInSnapshotDir,
				...(via ? {routes: via.routes} : {}),
			},
			io,
		),
	);
}
