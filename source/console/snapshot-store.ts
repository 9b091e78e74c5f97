import {basename} from 'node:path';
import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {initialSnapshotsPane, failedNames, reduceSnapshots, type SnapshotPaneStore, type SnapshotsEvent, type SnapshotsPane} from '../model/snapshots-pane.js';
import {createRoutes, type Routes} from '../route/routes.js';
import type {AgeRecipient} from '../snapshot/file/age.js';
import {verifyInWorker, type DecryptKeys} from '../snapshot/file/verify.js';
import {applyRetention, deleteSnapshot, listSnapshotDir, snapshotFileName} from '../snapshot/snapshot-dir.js';

export type {SnapshotPaneStore};

// The Snapshots pane's store: UI state (model/snapshots-pane.ts reduces it) fed by the save, verify and
// retention of snapshot/. Built here, by the console, and handed to the pane.

export interface SnapshotStoreOptions {
	readonly directory: string;
	readonly config: Config;
	readonly keep: number | undefined;
	readonly everyMs: number | undefined;
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

	constructor(private readonly options: SnapshotStoreOptions) {
		this.state = initialSnapshotsPane(options.directory);
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
	}

	reload = () => {
		try {
			this.dispatch({type: 'listed', entries: listSnapshotDir(this.options.directory)});
		} catch (error) {
			this.dispatch({type: 'list-failed', message: (error as Error).message});
		}
	};

	save = () => void this.track(this.runSave(false));

	verify = (name: string) => {
		const entry = this.state.entries.find(candidate => candidate.name === name);
		if (!entry || this.state.verify[name]?.kind === 'verifying') return;
		this.dispatch({type: 'verify-started', name, at: this.now()});
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

	remove = (name: string) => {
		const entry = this.state.entries.find(candidate => candidate.name === name);
		if (!entry) return;
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
		const path = `${this.options.directory}/${snapshotFileName(new Date(this.now()), this.options.recipients.length > 0)}`;
		this.dispatch({type: 'save-started', at: this.now(), isScheduled});
		try {
			const {saveFromCluster} = await import('../snapshot/cluster-save.js');
			this.routes ??= this.options.routes ?? createRoutes(connectOptionsOf(this.options.config));
			await saveFromCluster(this.options.config, path, {
				isOverwriting: false,
				isCreatingDirectory: true,
				recipients: this.options.recipients,
				signal: this.controller.signal,
				routes: this.routes,
				onProgress: ({received, total}) => {
					const now = this.now();
					if (now - this.lastProgressAt < 100 && received !== total) return;
					this.lastProgressAt = now;
					this.dispatch({type: 'save-progress', received, total});
				},
			});
			const retention = this.options.keep === undefined ? undefined : await applyRetention(this.options.directory, this.options.keep, failedNames(this.state));
			this.dispatch({type: 'save-finished', name: basename(path), at: this.now(), removed: retention?.removed ?? [], leftAlone: retention?.leftAlone ?? []});
		} catch (error) {
			if (!this.controller.signal.aborted) this.dispatch({type: 'save-failed', message: (error as Error).message, at: this.now()});
		}
		this.reload();
	}

	private dispatch(event: SnapshotsEvent): void {
		if (this.controller.signal.aborted && event.type !== 'listed') return;
		this.state = reduceSnapshots(this.state, event);
		for (const listener of this.listeners) listener();
	}
}
