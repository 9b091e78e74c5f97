import {mkdirSync, statSync} from 'node:fs';
import {basename, dirname, resolve} from 'node:path';
import type {EndpointStatus, MemberInfo} from '../model/types.js';
import {credentialsRefusal, observeOnce, type ClusterReading} from '../route/observe.js';
import type {RoutedSnapshotClient, Routes} from '../route/routes.js';
import {AgeEncryptor, bech32Encode, openAgeFileSource, type AgeRecipient} from './file/age.js';
import {openFileSource} from './file/bbolt.js';
import {buildManifest, manifestPathOf, serializeManifest} from './file/manifest.js';
import {saveSnapshot, SnapshotSaveError, type SaveProgress, type SaveResult} from './save.js';
import {readDbStatus} from './file/snapshot-status.js';
import {chooseSourceMember} from './source-member.js';
import {checkSnapshotDir, UnsafeSnapshotDirError} from './snapshot-dir.js';

// The whole save from a live cluster, shared by `etcdtop snapshot save` and the console's Snapshots pane:
// probe the members, choose the source, stream a verified snapshot, read it back, write its manifest.

export interface ClusterSaveOptions {
	/** --from: a member's name or hex ID. Default: the reachable voter with the highest applied index. */
	readonly from?: string;
	/** --overwrite: replace an existing FILE (and its manifest). */
	readonly isOverwriting: boolean;
	/** Abandon the save when the member sends nothing for this long. Default 15 s. */
	readonly idleTimeoutMs?: number;
	/** Aborts the save (ctrl-c). Without one, SIGINT and SIGTERM abort it while it runs. */
	readonly signal?: AbortSignal;
	readonly onProgress?: (progress: SaveProgress) => void;
	/** How members are reached (direct, or through --via's SSH tunnels). */
	readonly routes: Routes;
	/** Encrypt to these age recipients: FILE.age, never a plaintext copy on disk. */
	readonly recipients?: readonly AgeRecipient[];
	/** Create FILE's directory (the default --snapshot-dir) when missing. */
	readonly isCreatingDirectory?: boolean;
	/** Which member the snapshot comes from, once chosen. */
	readonly onSource?: (text: string) => void;
}

/** A saved snapshot and where it came from. */
export interface ClusterSaveResult extends SaveResult {
	readonly member: {readonly name: string; readonly id: string};
}

export const defaultIdleTimeoutMs = 15_000;

/** Which cluster to save from (a Config has it). */
export interface ClusterSaveTarget {
	readonly endpoints: readonly string[];
	/** Probe every member's advertised URL too, not only the given endpoints. */
	readonly isDiscovering: boolean;
	readonly commandTimeoutMs: number;
}

/** The member a snapshot comes from, chosen from the live member list and their status answers, and its stream client. */
export interface ClusterSource {
	readonly member: MemberInfo;
	readonly endpoint: string;
	readonly status: EndpointStatus;
	readonly list: ClusterReading;
	/** Reaches the member the way --via says; the caller closes it. */
	readonly client: RoutedSnapshotClient;
}

/**
 * Probes the members and picks the source (--from, else the reachable voter with the highest applied
 * index), for a save to a file or to S3 alike. SnapshotSaveError 'unknown-member' (naming --from) or 'no-source'.
 */
export async function chooseClusterSource(config: ClusterSaveTarget, options: Pick<ClusterSaveOptions, 'from' | 'routes' | 'onSource'>): Promise<ClusterSource> {
	const {routes} = options;

	// The given endpoints are probed first: a member's advertised URL may not be reachable from here (bastions, tunnels).
	const observed = await observeOnce(routes, {seeds: config.endpoints, isDiscovering: config.isDiscovering, listTimeoutMs: config.commandTimeoutMs, statusTimeoutMs: config.commandTimeoutMs});
	// A wrong user or password, or a user without the root role Status needs, is the operator's to fix, not
	// the cluster's failure (exit 3, as status says it).
	const refusal = credentialsRefusal(observed);
	if (refusal) throw refusal;
	if (observed.kind === 'no-member-list') {
		const why = observed.probes.map(probe => `${probe.endpoint}: ${probe.status ? observed.message : (probe.failure ?? 'no answer')}`).join('; ');
		throw new SnapshotSaveError('no-source', `no endpoint answered: ${why}`);
	}
	const list = observed.reading;
	const choice = chooseSourceMember(list.members, list.probes, options.from);
	const memberNames = () => `members: ${list.members.map(member => `${member.name || '(unstarted)'} (${member.id})`).join(', ')}`;
	switch (choice.kind) {
		case 'unknown-member':
			throw new SnapshotSaveError('unknown-member', `no member is named or has the ID "${choice.from}"`, {input: {input: '--from', fix: memberNames()}});
		case 'ambiguous-member':
			throw new SnapshotSaveError('unknown-member', `more than one member is named "${choice.from}"`, {input: {input: '--from', fix: `give its hex ID instead; ${memberNames()}`}});
		case 'unreachable':
			throw new SnapshotSaveError('no-source', `member ${choice.member.name} (${choice.member.id}) did not answer: ${choice.failures.join('; ')}`);
		case 'none-reachable':
			throw new SnapshotSaveError('no-source', `no voting member answered a status request: ${choice.failures.join('; ') || 'every reachable member is a learner'}`);
		case 'chosen':
			break;
	}
	const {member, endpoint, status} = choice;
	options.onSource?.(`fetching snapshot from ${member.name} (${member.id}) at ${endpoint}, applied index ${status.raftAppliedIndex}`);

	let client: RoutedSnapshotClient;
	try {
		client = await routes.snapshotClient(endpoint);
	} catch (error) {
		throw new SnapshotSaveError('stream', (error as Error).message, {cause: error});
	}
	return {member, endpoint, status, list, client};
}

/**
 * Saves a verified snapshot of the cluster at `file` (with etcd's sha256 trailer, as etcdctl writes it) and
 * FILE.meta.json. Every failure throws SnapshotSaveError (with `input` set when FILE or --from is the
 * problem), by when neither FILE nor FILE.part is left behind.
 */
export async function saveFromCluster(config: ClusterSaveTarget, file: string, options: ClusterSaveOptions): Promise<ClusterSaveResult> {
	if (file.trim() === '') throw new SnapshotSaveError('bad-path', 'the snapshot path is empty', {input: {input: 'FILE', fix: 'give a file name, e.g. backup.db'}});
	const path = resolve(file);
	const directory = dirname(path);
	if (options.isCreatingDirectory) {
		// The snapshot directory: refused when another user could redirect or fill it, before and after it is made.
		const check = () => {
			try {
				checkSnapshotDir(directory);
			} catch (error) {
				if (!(error instanceof UnsafeSnapshotDirError)) throw error;
				throw new SnapshotSaveError('unsafe-directory', error.problem, {input: {input: '--snapshot-dir', fix: error.fix}});
			}
		};
		check();
		mkdirSync(directory, {recursive: true, mode: 0o700});
		check();
	}
	let directoryProblem: string | undefined;
	try {
		if (!statSync(directory).isDirectory()) directoryProblem = `${directory} is not a directory`;
	} catch (error) {
		// Only a missing directory is a usage problem; permission errors surface from the save with the file's name.
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') directoryProblem = `the directory ${directory} does not exist`;
	}
	if (directoryProblem) throw new SnapshotSaveError('no-directory', directoryProblem, {input: {input: 'FILE', fix: 'create it first, or save elsewhere'}});
	if (!options.isOverwriting) {
		let isTaken = false;
		try {
			statSync(path);
			isTaken = true;
		} catch {}
		if (isTaken) throw new SnapshotSaveError('exists', `${path} already exists`, {input: {input: 'FILE', fix: 'use --overwrite to replace it, or choose another name'}});
	}
	const {member, endpoint, status, list, client} = await chooseClusterSource(config, options);
	const ownController = options.signal ? undefined : new AbortController();
	// A dropped SSH session (SIGHUP), ctrl-c, ctrl-\ or a kill: the save stops, removes its part files, says so.
	const onSignal = (signal: NodeJS.Signals) =>
		ownController?.abort(new SnapshotSaveError('aborted', `interrupted by ${signal}: the partial snapshot was removed and ${path} was not written`, {interruptedBy: signal}));
	if (ownController) {
		for (const signal of interruptingSignals) process.once(signal, onSignal);
	}
	const encryptor = options.recipients && options.recipients.length > 0 ? new AgeEncryptor(options.recipients) : undefined;
	try {
		const createdAt = new Date();
		const result = await saveSnapshot(signal => client.snapshot(signal), {
			path,
			isOverwriting: options.isOverwriting,
			idleTimeoutMs: options.idleTimeoutMs ?? defaultIdleTimeoutMs,
			...(options.signal ?? ownController ? {signal: (options.signal ?? ownController!.signal)} : {}),
			...(options.onProgress ? {onProgress: options.onProgress} : {}),
			...(encryptor ? {encryptor} : {}),
			async beforeCommit(partPath, stream) {
				// Reading the received database back proves it is a whole bbolt file and yields the revision and
				// raft index the manifest records; page cache makes it cheap right after the write.
				// An encrypted part is read back through its decryptor with the file key only this process holds.
				const source = encryptor ? openAgeFileSource(partPath, {fileKey: encryptor.fileKey}) : openFileSource(partPath);
				let db;
				try {
					// No CRC: the sha256 already vouches for the bytes, and the CRC would cost a second per 256 MB.
					db = readDbStatus(source, {isHashing: false});
				} finally {
					source.close();
				}
				if (db.problemCount > 0) {
					throw new SnapshotSaveError('invalid', `the received database fails its integrity check: ${db.problems.slice(0, 3).join('; ')}`);
				}
				if (db.totalSize !== stream.dbSize) {
					throw new SnapshotSaveError('invalid', `the received database says it spans ${db.totalSize} bytes but ${stream.dbSize} were sent`);
				}
				const encryption = options.recipients && options.recipients.length > 0 ? encryptionOf(options.recipients) : undefined;
				const manifest = buildManifest({file: basename(path), createdAt, endpoint, status, memberName: member.name, members: list.members, stream, db, ...(encryption ? {encryption} : {})});
				return [{path: manifestPathOf(path), content: serializeManifest(manifest)}];
			},
		});
		return {...result, member: {name: member.name, id: member.id}};
	} finally {
		client.close();
		if (ownController) {
			for (const signal of interruptingSignals) process.removeListener(signal, onSignal);
		}
	}
}

/** A dropped SSH session (SIGHUP), ctrl-c, ctrl-\\ or a kill: what stops a save, to a file or to S3. */
export const interruptingSignals: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'];

export function encryptionOf(recipients: readonly AgeRecipient[]): {readonly kind: 'x25519'; readonly recipients: readonly string[]} | {readonly kind: 'scrypt'} {
	if (recipients.some(recipient => recipient.kind === 'scrypt')) return {kind: 'scrypt'};
	return {kind: 'x25519', recipients: recipients.map(recipient => (recipient.kind === 'x25519' ? bech32Encode('age', recipient.publicKey) : ''))};
}
