import {constants as osConstants} from 'node:os';
import {resolve} from 'node:path';
import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {ConfigError} from '../config/errors.js';
import type {S3SettingsInput} from '../config/s3-options.js';
import {humanBytes} from '../model/format.js';
import {renderTable} from '../output/table.js';
import {parseWriteFormat} from '../config/write-format.js';
import {S3Store} from '../s3/client.js';
import {printable, S3Error} from '../s3/errors.js';
import type {AgeRecipient} from '../snapshot/file/age.js';
import {createRoutes, type Routes} from '../route/routes.js';
import {isS3Url, parseS3Url, isPrefixLocation, prefixOfKey, type S3Location} from '../snapshot/remote-name.js';
import {applyRemoteRetention, FetchError, fetchSnapshot, listRemoteSnapshots, readRemoteManifest, remoteCreatedAt, remoteSnapshotStatus} from '../snapshot/remote-dir.js';
import {saveToS3} from '../snapshot/remote-save.js';
import {describePolicy, type RetentionPolicy} from '../model/retention.js';
import {SnapshotSaveError} from '../snapshot/save.js';
import {applyRetention, createdAtOf, listSnapshotDir} from '../snapshot/snapshot-dir.js';
import type {DecryptKeys} from '../snapshot/file/verify.js';
import {loadSnapshotOptions, type CommandContext, type CommandIo} from './context.js';
import {checkedSnapshotDir, hashLines, reportRetention} from './snapshot-save.js';
import {visibleLine} from '../model/visible-text.js';
import type {RetentionOutcome} from '../snapshot/owned-file.js';
import type {ParsedFlags} from './flags.js';
import {parseS3Settings} from '../config/s3-options.js';

// The snapshot commands on s3:// URLs (save, status, list, fetch, prune, restore-plan's manifest), and list
// and prune on a local directory, which work the same way there.

export function s3LocationOf(text: string, input = 'FILE'): S3Location {
	const parsed = parseS3Url(text);
	if ('problem' in parsed) throw new ConfigError(input, `${text} ${parsed.problem}`, 'use s3://BUCKET/KEY, or s3://BUCKET/PREFIX/ for a timestamped name');
	return parsed;
}

/** Runs `body` with an S3 client, turning S3 failures into one line and exit 1. */
async function withStore(settings: S3SettingsInput, io: CommandIo, what: string, body: (store: S3Store) => Promise<number>): Promise<number> {
	let store: S3Store | undefined;
	try {
		store = await S3Store.open(settings);
		return await body(store);
	} catch (error) {
		if (error instanceof ConfigError) throw error;
		// The operator's FILE, --from or --identity is the problem: bad usage, exit 3.
		if ((error instanceof SnapshotSaveError || error instanceof FetchError) && error.input) throw new ConfigError(error.input.input, error instanceof SnapshotSaveError ? error.problem : error.message, error.input.fix);
		if (error instanceof S3Error || error instanceof FetchError || error instanceof SnapshotSaveError) {
			io.err(`${what} failed: ${printable(error.message, 2000)}`);
			// As a shell reports a process a signal ended: 128 + the signal's number.
			const signal = error instanceof SnapshotSaveError ? error.interruptedBy : undefined;
			return signal ? 128 + osConstants.signals[signal] : 1;
		}
		throw error;
	} finally {
		store?.close();
	}
}

export interface S3SaveOptions {
	readonly from: string | undefined;
	readonly isOverwriting: boolean;
	readonly recipients: readonly AgeRecipient[];
	readonly policy: RetentionPolicy | undefined;
	readonly routes?: Routes;
}

/** `etcdtop snapshot save s3://BUCKET/KEY|PREFIX/`: 0 when the object and KEY.meta.json are in place, else 1 and nothing left. */
export async function snapshotSaveS3Command(config: Config, target: string, settings: S3SettingsInput, options: S3SaveOptions, io: CommandIo): Promise<number> {
	const location = s3LocationOf(target);
	return withStore(settings, io, 'snapshot save', async store => {
		let result;
		try {
			result = await saveToS3(config, location, store, {
				isOverwriting: options.isOverwriting,
				recipients: options.recipients,
				onSource: io.err,
				...(options.from !== undefined ? {from: options.from} : {}),
				routes: options.routes ?? createRoutes(connectOptionsOf(config)),
			});
		} catch (error) {
			if (error instanceof SnapshotSaveError && error.kind === 'no-source') {
				io.err(`snapshot save: ${error.message}`);
				return 1;
			}
			throw error;
		}
		io.out(`Snapshot saved at ${result.url} (${humanBytes(result.fileSize)}, revision ${result.manifest.revision}) from ${result.member.name} (${result.member.id}) in ${(result.elapsedMs / 1000).toFixed(1)}s`);
		for (const line of hashLines(result)) io.out(line);
		io.out(`Manifest written to s3://${result.location.bucket}/${result.manifestKey}`);
		if (options.policy) {
			const scope = {bucket: result.location.bucket, key: prefixOfKey(result.location.key)};
			try {
				reportRetention(describePolicy(options.policy), await applyRemoteRetention(store, scope, options.policy), io);
			} catch (error) {
				io.err(`${describePolicy(options.policy)}: retention failed: ${printable((error as Error).message, 2000)}`);
				return 1;
			}
		}
		return 0;
	});
}

function renderStatus(status: {hash: number; revision: number; totalKey: number; totalSize: number; sha256: string}, format: 'table' | 'json' | 'simple'): string {
	const hashHex = status.hash.toString(16);
	if (format === 'json') return JSON.stringify({hash: status.hash, revision: status.revision, totalKey: status.totalKey, totalSize: status.totalSize, sha256: status.sha256});
	if (format === 'simple') return `${hashHex}, ${status.revision}, ${status.totalKey}, ${humanBytes(status.totalSize)}, ${status.sha256}`;
	return renderTable(['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE', 'SHA256'], [[hashHex, String(status.revision), String(status.totalKey), humanBytes(status.totalSize), status.sha256]]).trimEnd();
}

/** `etcdtop snapshot status s3://BUCKET/KEY`: as for a file; the object is downloaded to a private temporary file and removed. */
export async function snapshotStatusS3Command(target: string, format: string | undefined, settings: S3SettingsInput, keys: DecryptKeys, io: CommandIo): Promise<number> {
	const writeFormat = parseWriteFormat(format, ['table', 'json', 'simple'], 'snapshot status');
	const location = s3LocationOf(target);
	if (isPrefixLocation(location)) throw new ConfigError('FILE', `${target} names a prefix, not an object`, 'give s3://BUCKET/KEY; snapshot list shows the keys');
	return withStore(settings, io, 'snapshot status', async store => {
		const {status} = await remoteSnapshotStatus(store, location, keys);
		if (status.problemCount > 0) {
			io.err([`${target}: snapshot file integrity check failed. ${status.problemCount} errors found.`, ...status.problems.map(problem => `  ${problem}`)].join('\n'));
			return 1;
		}
		io.out(renderStatus(status, writeFormat));
		if (status.sha256 === 'mismatch') {
			io.err(`${target}: the sha256 trailer does not match the database bytes: the object changed after etcd sent it`);
			return 1;
		}
		if (status.sha256 === 'missing') io.err(`${target}: no sha256 trailer (not a snapshot etcd sent?)`);
		return 0;
	});
}

/** `etcdtop snapshot fetch s3://BUCKET/KEY FILE`: download, verify, then write FILE (+ FILE.meta.json) atomically. */
export async function snapshotFetchCommand(source: string, file: string, settings: S3SettingsInput, options: {isOverwriting: boolean; keys: DecryptKeys}, io: CommandIo): Promise<number> {
	const location = s3LocationOf(source, 'SOURCE');
	if (isPrefixLocation(location)) throw new ConfigError('SOURCE', `${source} names a prefix, not an object`, 'give s3://BUCKET/KEY; snapshot list shows the keys');
	let path = resolve(file);
	if (location.key.endsWith('.age') && !path.endsWith('.age')) path = `${path}.age`;
	return withStore(settings, io, 'snapshot fetch', async store => {
		const started = Date.now();
		const result = await fetchSnapshot(store, location, path, options);
		const {status} = result;
		const fileCheck = result.manifest?.etcdSha256 !== undefined ? ", the file's sha256 matches its manifest" : '';
		io.out(`Fetched ${source} to ${result.path} (${humanBytes(result.bytes)}, revision ${status.revision}, ${status.totalKey} keys, etcd's sha256 ${status.sha256}${fileCheck}) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
		if (result.manifest) io.out(`Manifest written to ${result.path}.meta.json`);
		return 0;
	});
}

interface ListRow {
	readonly name: string;
	readonly location: string;
	readonly size: number;
	readonly createdAt: number;
	readonly revision: number | undefined;
	readonly isEncrypted: boolean;
	/** etcdtop wrote it: its manifest names this very file, at this size. */
	readonly isManaged: boolean;
	readonly hasManifest: boolean;
}

function vouchesFor(manifest: {readonly file: string; readonly fileSize: number} | undefined, name: string, size: number): boolean {
	return manifest !== undefined && manifest.file === name && manifest.fileSize === size;
}

/** `etcdtop snapshot list [DIR | s3://BUCKET/PREFIX/]`: snapshots newest first, with what their manifests say. */
export async function snapshotListCommand(target: string, format: string | undefined, settings: S3SettingsInput, io: CommandIo, input = 'DIR'): Promise<number> {
	const writeFormat = parseWriteFormat(format, ['table', 'json'], 'snapshot list');
	const render = (rows: readonly ListRow[]) => {
		if (writeFormat === 'json') {
			io.out(JSON.stringify(rows.map(row => ({...row, createdAt: new Date(row.createdAt).toISOString()}))));
			return 0;
		}
		io.out(
			renderTable(
				['CREATED (UTC)', 'SNAPSHOT', 'SIZE', 'REVISION', 'CHECKED'],
				rows.map(row => [new Date(row.createdAt).toISOString().replace('T', ' ').slice(0, 19), printable(row.location, 500), humanBytes(row.size), row.revision === undefined ? '-' : String(row.revision), row.isManaged ? 'sha256 ok' : row.hasManifest ? 'not its manifest' : 'no manifest']),
			).trimEnd(),
		);
		if (rows.length === 0) io.err(`no snapshots in ${target}`);
		return 0;
	};
	if (!isS3Url(target)) {
		checkedSnapshotDir(target, input);
		const entries = listSnapshotDir(resolve(target));
		// A manifest that names another file, or another size, does not vouch for this one.
		return render(entries.map(entry => ({name: entry.name, location: entry.path, size: entry.fileSize, createdAt: createdAtOf(entry), revision: entry.manifest?.revision, isEncrypted: entry.isEncrypted, isManaged: vouchesFor(entry.manifest, entry.name, entry.fileSize), hasManifest: entry.manifest !== undefined})));
	}
	const location = s3LocationOf(target, 'DIR');
	return withStore(settings, io, 'snapshot list', async store => {
		const entries = await listRemoteSnapshots(store, location);
		return render(entries.map(entry => ({name: entry.name, location: entry.url, size: entry.fileSize, createdAt: remoteCreatedAt(entry), revision: entry.manifest?.revision, isEncrypted: entry.isEncrypted, isManaged: vouchesFor(entry.manifest, entry.name, entry.fileSize), hasManifest: entry.manifest !== undefined})));
	});
}

/** `etcdtop snapshot prune [DIR | s3://BUCKET/PREFIX/] --keep N | --keep-policy … [--dry-run]`. */
export async function snapshotPruneCommand(target: string, policy: RetentionPolicy, isDryRun: boolean, settings: S3SettingsInput, io: CommandIo, input = 'DIR'): Promise<number> {
	const say = (outcome: RetentionOutcome) => {
		const verb = isDryRun ? 'would remove' : 'removed';
		if (outcome.removed.length === 0) io.out(`${describePolicy(policy)}: nothing to remove in ${target}`);
		for (const item of outcome.removed) io.out(`${verb} ${visibleLine(item)}`);
		for (const {name, why} of outcome.leftAlone) io.err(`${describePolicy(policy)}: left ${visibleLine(name)} alone: ${visibleLine(why)}`);
		return 0;
	};
	if (!isS3Url(target)) {
		checkedSnapshotDir(target, input);
		try {
			return say(await applyRetention(resolve(target), policy, new Set(), {isDryRun}));
		} catch (error) {
			io.err(`snapshot prune failed: ${(error as Error).message}`);
			return 1;
		}
	}
	const location = s3LocationOf(target, 'DIR');
	return withStore(settings, io, 'snapshot prune', async store => say(await applyRemoteRetention(store, location, policy, {isDryRun})));
}

/** restore-plan's view of an object: its manifest (the plan's member list when the cluster is gone). */
export async function remoteManifestFor(target: string, settings: S3SettingsInput) {
	const location = s3LocationOf(target);
	const store = await S3Store.open(settings);
	try {
		const info = await store.head(location.bucket, location.key);
		if (!info) throw new ConfigError('FILE', `${target} does not exist`, 'snapshot list s3://BUCKET/PREFIX/ shows the keys');
		return await readRemoteManifest(store, location);
	} finally {
		store.close();
	}
}

/** `etcdtop snapshot status s3://…` (from snapshotStatusCli). */
export async function snapshotStatusS3Cli(file: string, flags: ParsedFlags, io: CommandIo, keys: DecryptKeys): Promise<number> {
	return snapshotStatusS3Command(file, flags.writeOut, parseS3Settings(flags), keys, io);
}

export async function snapshotListCli({args: [dir], flags, io}: CommandContext): Promise<number> {
	const {options} = await loadSnapshotOptions(flags);
	return snapshotListCommand(dir ?? options.snapshotDir, flags.writeOut, parseS3Settings(flags), io, dir === undefined ? '--snapshot-dir' : 'DIR');
}

export async function snapshotFetchCli({args: [source, file], flags, io}: CommandContext): Promise<number> {
	if (!isS3Url(source)) throw new ConfigError('snapshot fetch', `${source} is not an s3:// URL`, 'use: etcdtop snapshot fetch s3://BUCKET/KEY FILE');
	const {options} = await loadSnapshotOptions(flags);
	const {decryptKeys} = await import('./snapshot-secrets.js');
	return snapshotFetchCommand(source!, file!, parseS3Settings(flags), {isOverwriting: flags.overwrite ?? false, keys: await decryptKeys(source!, options)}, io);
}

export async function snapshotPruneCli({args: [dir], flags, io}: CommandContext): Promise<number> {
	const {options} = await loadSnapshotOptions(flags);
	if (!options.policy) throw new ConfigError('snapshot prune', 'no retention policy', 'give --keep N and/or --keep-policy hourly=24,daily=7,weekly=4');
	return snapshotPruneCommand(dir ?? options.snapshotDir, options.policy, flags.dryRun ?? false, parseS3Settings(flags), io, dir === undefined ? '--snapshot-dir' : 'DIR');
}
