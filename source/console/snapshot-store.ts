import {basename} from 'node:path';
import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {createdAtOf} from '../model/snapshot-entry.js';
import {s3UrlOf} from '../snapshot/remote-name.js';
import {initialSnapshotsPane, failedNames, reduceSnapshots, type SnapshotPaneStore, type SnapshotsEvent, type SnapshotsPane} from '../model/snapshots-pane.js';
import {createRoutes, type Routes} from '../route/routes.js';
import type {AgeRecipient} from '../snapshot/file/age.js';
import {verifyInWorker, type DecryptKeys} from '../snapshot/file/verify.js';
import {applyRetention, deleteSnapshot, listSnapshotDir, snapshotFileName} from '../snapshot/snapshot-dir.js';
import {manifestRestorePlanLines} from '../snapshot/restore-plan.js';
import {restorePlanContextOf} from '../config/printed-client.js';
import type {S3Settings, S3Store} from '../s3/client.js';
import type {S3Location} from '../snapshot/remote-name.js';
import type {RetentionPolicy} from '../model/retention.js';
import type {LeftAlone} from '../snapshot/owned-file.js';
import type {SnapshotEntry} from '../model/snapshot-entry.js';

export type {SnapshotPaneStore};

// The Snapshots pane's store: UI state (model/snapshots-pane.ts reduces it) fed by the save, verify and
// retention of snapshot/. Built here, by the console, and handed to the pane.

export interface SnapshotStoreOptions {
	readonly directory: string;
	readonly config: Config;
	readonly keep: number | RetentionPolicy | undefined;
	readonly everyMs: number | undefined;
	/**
	 * `--snapshot-dir s3://BUCKET/PREFIX/`: the bucket's snapshots are listed beside `directory`'s, and saves
	 * (`s`, `--snapshot-every`) and retention go to the bucket. The S3 SDK loads only when this is set.
	 */
	readonly remote?: {readonly location: S3Location; readonly settings: S3Settings};
	readonly recipients: readonly AgeRecipient[];
	readonly decryptKeys: DecryptKeys;
	/** `--via`: where the snapshot stream (and its member probes) dial, as for `snapshot save`. */
	readonly routes?: Routes;
	readonly now?: () => number;
}

/** Runs the pane's effects (save, verify in a worker, delete, schedule) and feeds results to the pure reducer. */
export class SnapshotStore implements SnapshotPaneStore {
	private state: SnapshotsPane;
	private readonly listeners = new Set<() => void>();
	private readonly controller = new AbortController();
	private readonly workers = new Set<{terminate(): void}>();
	private timer: NodeJS.Timeout | undefined;
	private lastProgressAt = 0;
	private running: Promise<void> = Promise.resolve();
	private readonly now: () => number;
	private routes: Routes | undefined;
	private localEntries: readonly SnapshotEntry[] = [];
	private remoteEntries: readonly SnapshotEntry[] = [];
	private remoteListError: string | undefined;
	private localListError: string | undefined;
	private store: Promise<S3Store> | undefined;
	private listing = 0;

	constructor(private readonly options: SnapshotStoreOptions) {
		this.state = initialSnapshotsPane(options.remote ? `${s3UrlOf(options.remote.location)} and ${options.directory}` : options.directory);
		this.now = options.now ?? Date.now;
	}

	subscribe = (listener: () => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = () => this.state;

	start(): void {
		this.reload();
		this.schedule();
	}

	/** Stops the schedule, aborts a running save and waits for it to remove its partial files. */
	async stop(): Promise<void> {
		if (this.timer) clearTimeout(this.timer);
		this.controller.abort();
		for (const worker of this.workers) worker.terminate();
		await this.running;
		if (this.store) (await this.store.catch(() => undefined))?.close();
	}

	/** The S3 client, opened on first use (the SDK is several MB: only a console with an s3:// dir loads it). */
	private async s3(): Promise<S3Store> {
		const remote = this.options.remote!;
		this.store ??= import('../s3/client.js').then(async ({S3Store: Store}) => Store.open(remote.settings));
		return this.store;
	}

	reload = () => {
		try {
			this.localEntries = listSnapshotDir(this.options.directory);
			this.localListError = undefined;
		} catch (error) {
			this.localListError = (error as Error).message;
		}
		this.publishList();
		if (this.options.remote) void this.reloadRemote();
	};

	/** The bucket's listing arrives later than the directory's; the newest listing wins. */
	private async reloadRemote(): Promise<void> {
		const remote = this.options.remote!;
		const call = ++this.listing;
		try {
			const {listRemoteSnapshots, paneEntryOf} = await import('../snapshot/remote-dir.js');
			const entries = await listRemoteSnapshots(await this.s3(), remote.location);
			if (call !== this.listing) return;
			this.remoteEntries = entries.map(entry => paneEntryOf(entry, remote.location.key));
			this.remoteListError = undefined;
		} catch (error) {
			if (call !== this.listing) return;
			this.remoteListError = `${s3UrlOf(remote.location)}: ${(error as Error).message}`;
		}
		this.publishList();
	}

	/** Both places side by side, newest first; a name that is in both is told apart by where it is. */
	private publishList(): void {
		const localNames = new Set(this.localEntries.map(entry => entry.name));
		const remote = this.remoteEntries.map(entry => (localNames.has(entry.name) ? {...entry, name: entry.path} : entry));
		const entries = [...this.localEntries, ...remote].sort((a, b) => createdAtOf(b) - createdAtOf(a));
		const error = [this.localListError, this.remoteListError].filter(Boolean).join('; ');
		if (error) this.dispatch({type: 'list-failed', message: error});
		this.dispatch({type: 'listed', entries});
		if (error) this.dispatch({type: 'list-failed', message: error});
	}

	save = () => void this.track(this.runSave(false));

	/**
	 * The plan `snapshot restore-plan` prints for the same Config: kubeadm's on a kubeadm node (its data dir),
	 * and a check step with the TLS files and --user the console connected with.
	 */
	restorePlanLines = (entry: SnapshotEntry, width: number) => manifestRestorePlanLines(entry, width, restorePlanContextOf(this.options.config));

	verify = (name: string) => {
		const entry = this.state.entries.find(candidate => candidate.name === name);
		if (!entry || this.state.verify[name]?.kind === 'verifying') return;
		this.dispatch({type: 'verify-started', name, at: this.now()});
		if (entry.remote) {
			void this.verifyRemote(name, entry.remote);
			return;
		}
		const worker = verifyInWorker(entry.path, this.options.decryptKeys);
		this.workers.add(worker);
		void worker.answer.then(answer => {
			this.workers.delete(worker);
			if (answer.kind === 'locked') this.dispatch({type: 'verify-locked', name});
			else if (answer.kind === 'error') {
				if (!this.controller.signal.aborted) this.dispatch({type: 'verify-failed', name, reason: answer.message});
			} else if (answer.isSound) this.dispatch({type: 'verify-finished', name, at: this.now(), revision: answer.revision, totalKey: answer.totalKey});
			else this.dispatch({type: 'verify-failed', name, reason: answer.reason ?? 'unsound'});
		});
	};

	/** An object is downloaded into a private temporary file, checked in the worker as a local file is, and removed. */
	private async verifyRemote(name: string, remote: NonNullable<SnapshotEntry['remote']>): Promise<void> {
		let download;
		try {
			const {downloadToPrivateFile} = await import('../snapshot/remote-dir.js');
			download = await downloadToPrivateFile(await this.s3(), {bucket: remote.bucket, key: remote.key}, this.controller.signal);
		} catch (error) {
			if (!this.controller.signal.aborted) this.dispatch({type: 'verify-failed', name, reason: (error as Error).message});
			return;
		}
		const worker = verifyInWorker(download.path, this.options.decryptKeys);
		this.workers.add(worker);
		const answer = await worker.answer;
		this.workers.delete(worker);
		await download.remove();
		if (answer.kind === 'locked') this.dispatch({type: 'verify-locked', name});
		else if (answer.kind === 'error') {
			if (!this.controller.signal.aborted) this.dispatch({type: 'verify-failed', name, reason: answer.message});
		} else if (!answer.isSound) this.dispatch({type: 'verify-failed', name, reason: answer.reason ?? 'unsound'});
		else this.dispatch({type: 'verify-finished', name, at: this.now(), revision: answer.revision, totalKey: answer.totalKey});
	}

	remove = (name: string) => {
		const entry = this.state.entries.find(candidate => candidate.name === name);
		if (!entry) return;
		if (entry.remote) {
			const {bucket, key} = entry.remote;
			void this.track(
				(async () => {
					try {
						const {deleteRemoteSnapshot} = await import('../snapshot/remote-dir.js');
						await deleteRemoteSnapshot(await this.s3(), {bucket, key});
						this.dispatch({type: 'deleted', name});
					} catch (error) {
						this.dispatch({type: 'delete-failed', name, message: (error as Error).message});
					}
					this.reload();
				})(),
			);
			return;
		}
		try {
			deleteSnapshot(entry.path);
			this.dispatch({type: 'deleted', name});
		} catch (error) {
			this.dispatch({type: 'delete-failed', name, message: (error as Error).message});
		}
		this.reload();
	};

	private schedule(): void {
		const everyMs = this.options.everyMs;
		if (everyMs === undefined || this.controller.signal.aborted) return;
		const at = this.now() + everyMs;
		this.dispatch({type: 'scheduled', at});
		this.timer = setTimeout(() => {
			void this.track(this.runSave(true)).finally(() => this.schedule());
		}, everyMs);
	}

	private track(save: Promise<void>): Promise<void> {
		this.running = this.running.then(async () => save);
		return save;
	}

	private async runSave(isScheduled: boolean): Promise<void> {
		if (this.state.save.kind === 'saving') return;
		this.dispatch({type: 'save-started', at: this.now(), isScheduled});
		const onProgress = ({received, total}: {received: number; total: number | undefined}) => {
			const now = this.now();
			if (now - this.lastProgressAt < 100 && received !== total) return;
			this.lastProgressAt = now;
			this.dispatch({type: 'save-progress', received, total});
		};
		try {
			this.routes ??= this.options.routes ?? createRoutes(connectOptionsOf(this.options.config));
			const save = {isOverwriting: false, recipients: this.options.recipients, signal: this.controller.signal, routes: this.routes, onProgress};
			let name: string;
			let retention: {readonly removed: readonly string[]; readonly leftAlone: readonly LeftAlone[]} | undefined;
			const {keep} = this.options;
			if (this.options.remote) {
				const {location} = this.options.remote;
				const [{saveToS3}, {applyRemoteRetention}, {prefixOfKey}] = await Promise.all([import('../snapshot/remote-save.js'), import('../snapshot/remote-dir.js'), import('../snapshot/remote-name.js')]);
				const store = await this.s3();
				const result = await saveToS3(this.options.config, location, store, save);
				name = result.location.key.startsWith(location.key) ? result.location.key.slice(location.key.length) : result.location.key;
				// Retention in the new object's own directory (one cluster's PREFIX/<cluster-id>/), as `snapshot save` does.
				if (keep !== undefined) {
					const outcome = await applyRemoteRetention(store, {bucket: location.bucket, key: prefixOfKey(result.location.key)}, keep, {failed: this.failedKeys()});
					// Said as the pane names them: the key under --snapshot-dir's prefix.
					const base = s3UrlOf(location);
					const named = (url: string) => (url.startsWith(base) ? url.slice(base.length) : url);
					retention = {removed: outcome.removed.map(named), leftAlone: outcome.leftAlone.map(left => ({...left, name: named(left.name)}))};
				}
			} else {
				const path = `${this.options.directory}/${snapshotFileName(new Date(this.now()), this.options.recipients.length > 0)}`;
				const {saveFromCluster} = await import('../snapshot/cluster-save.js');
				await saveFromCluster(this.options.config, path, {...save, isCreatingDirectory: true});
				name = basename(path);
				if (keep !== undefined) retention = await applyRetention(this.options.directory, keep, failedNames(this.state));
			}
			this.dispatch({type: 'save-finished', name, at: this.now(), removed: retention?.removed ?? [], leftAlone: retention?.leftAlone ?? []});
		} catch (error) {
			if (!this.controller.signal.aborted) this.dispatch({type: 'save-failed', message: (error as Error).message, at: this.now()});
		}
		this.reload();
	}

	/** Keys of the objects whose verification failed this session: retention does not count them as good. */
	private failedKeys(): ReadonlySet<string> {
		const failed = failedNames(this.state);
		return new Set(this.state.entries.flatMap(entry => (entry.remote && failed.has(entry.name) ? [entry.remote.key] : [])));
	}

	private dispatch(event: SnapshotsEvent): void {
		if (this.controller.signal.aborted && event.type !== 'listed') return;
		this.state = reduceSnapshots(this.state, event);
		for (const listener of this.listeners) listener();
	}
}
