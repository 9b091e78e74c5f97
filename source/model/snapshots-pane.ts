import type {SnapshotEntry} from './snapshot-entry.js';

export type {SnapshotEntry};

/** Whether a file is known good: from its manifest (sha256 checked while saving) or a verification. */
export type VerifyState =
	| {readonly kind: 'unchecked'}
	| {readonly kind: 'saved'}
	| {readonly kind: 'verifying'; readonly startedAt: number}
	| {readonly kind: 'verified'; readonly at: number; readonly revision: number; readonly totalKey: number}
	| {readonly kind: 'failed'; readonly reason: string}
	| {readonly kind: 'locked'};

export type SaveState =
	| {readonly kind: 'idle'}
	| {readonly kind: 'saving'; readonly startedAt: number; readonly received: number; readonly total: number | undefined; readonly isScheduled: boolean}
	| {readonly kind: 'saved'; readonly name: string; readonly at: number; readonly removed: readonly string[]}
	| {readonly kind: 'failed'; readonly message: string; readonly at: number};

export interface SnapshotsPane {
	readonly directory: string;
	readonly entries: readonly SnapshotEntry[];
	readonly verify: Readonly<Record<string, VerifyState>>;
	readonly save: SaveState;
	readonly nextSaveAt: number | undefined;
	readonly notice: string | undefined;
	readonly listError: string | undefined;
}

/** What the snapshots pane needs of its store (the console builds the live one; component tests a fixture). */
export interface SnapshotPaneStore {
	subscribe(listener: () => void): () => void;
	getSnapshot(): SnapshotsPane;
	reload(): void;
	save(): void;
	verify(name: string): void;
	remove(name: string): void;
	/**
	 * How to restore `entry`, from its manifest, as `etcdtop snapshot restore-plan` plans it: screen lines
	 * `width` wide, commands broken only between words with " \\" continuations. None without a manifest.
	 */
	restorePlanLines(entry: SnapshotEntry, width: number): readonly string[];
}

export type SnapshotsEvent =
	| {readonly type: 'listed'; readonly entries: readonly SnapshotEntry[]}
	| {readonly type: 'list-failed'; readonly message: string}
	| {readonly type: 'save-started'; readonly at: number; readonly isScheduled: boolean}
	| {readonly type: 'save-progress'; readonly received: number; readonly total: number | undefined}
	| {readonly type: 'save-finished'; readonly name: string; readonly at: number; readonly removed: readonly string[]; readonly leftAlone?: ReadonlyArray<{readonly name: string; readonly why: string}>}
	| {readonly type: 'save-failed'; readonly message: string; readonly at: number}
	| {readonly type: 'verify-started'; readonly name: string; readonly at: number}
	| {readonly type: 'verify-finished'; readonly name: string; readonly at: number; readonly revision: number; readonly totalKey: number}
	| {readonly type: 'verify-failed'; readonly name: string; readonly reason: string}
	| {readonly type: 'verify-locked'; readonly name: string}
	| {readonly type: 'deleted'; readonly name: string}
	| {readonly type: 'delete-failed'; readonly name: string; readonly message: string}
	| {readonly type: 'scheduled'; readonly at: number | undefined};

export function initialSnapshotsPane(directory: string): SnapshotsPane {
	return {directory, entries: [], verify: {}, save: {kind: 'idle'}, nextSaveAt: undefined, notice: undefined, listError: undefined};
}

function without<T>(record: Readonly<Record<string, T>>, name: string): Record<string, T> {
	const {[name]: _, ...rest} = record;
	return rest;
}

/** Pure: the pane after an event from the snapshot store. */
export function reduceSnapshots(state: SnapshotsPane, event: SnapshotsEvent): SnapshotsPane {
	switch (event.type) {
		case 'listed': {
			const names = new Set(event.entries.map(entry => entry.name));
			const verify = Object.fromEntries(Object.entries(state.verify).filter(([name]) => names.has(name)));
			return {...state, entries: event.entries, verify, listError: undefined};
		}
		case 'list-failed':
			return {...state, listError: event.message};
		case 'save-started':
			return {...state, save: {kind: 'saving', startedAt: event.at, received: 0, total: undefined, isScheduled: event.isScheduled}, notice: undefined};
		case 'save-progress':
			return state.save.kind === 'saving' ? {...state, save: {...state.save, received: event.received, total: event.total}} : state;
		case 'save-finished':
			return {
				...state,
				save: {kind: 'saved', name: event.name, at: event.at, removed: event.removed},
				verify: {...state.verify, [event.name]: {kind: 'saved'}},
				// A file retention would not delete (its manifest names another file, it changed) is said, not hidden.
				notice: `saved ${event.name}${event.removed.length > 0 ? `; --keep removed ${event.removed.join(', ')}` : ''}${(event.leftAlone ?? []).map(left => `; --keep left ${left.name} alone: ${left.why}`).join('')}`,
			};
		case 'save-failed':
			return {...state, save: {kind: 'failed', message: event.message, at: event.at}, notice: `save failed: ${event.message}`};
		case 'verify-started':
			return {...state, verify: {...state.verify, [event.name]: {kind: 'verifying', startedAt: event.at}}, notice: undefined};
		case 'verify-finished':
			return {...state, verify: {...state.verify, [event.name]: {kind: 'verified', at: event.at, revision: event.revision, totalKey: event.totalKey}}, notice: `${event.name} verified`};
		case 'verify-failed':
			return {...state, verify: {...state.verify, [event.name]: {kind: 'failed', reason: event.reason}}, notice: `${event.name} failed verification: ${event.reason}`};
		case 'verify-locked':
			return {...state, verify: {...state.verify, [event.name]: {kind: 'locked'}}, notice: `${event.name} is encrypted: start etcdtop with --identity FILE or ETCDTOP_SNAPSHOT_PASSPHRASE to verify it`};
		case 'deleted':
			return {...state, entries: state.entries.filter(entry => entry.name !== event.name), verify: without(state.verify, event.name), notice: `deleted ${event.name}`};
		case 'delete-failed':
			return {...state, notice: `could not delete ${event.name}: ${event.message}`};
		case 'scheduled':
			return {...state, nextSaveAt: event.at};
	}
}

/** What the VERIFIED column says: a verification this session wins over the manifest's word. */
export function verifyStateOf(state: SnapshotsPane, entry: SnapshotEntry): VerifyState {
	return state.verify[entry.name] ?? (entry.manifest ? {kind: 'saved'} : {kind: 'unchecked'});
}

export function verifyLabel(verify: VerifyState): string {
	switch (verify.kind) {
		case 'unchecked':
			return 'unchecked';
		case 'saved':
			return 'sha256 ok';
		case 'verifying':
			return 'verifying…';
		case 'verified':
			return 'verified';
		case 'failed':
			return 'FAILED';
		case 'locked':
			return 'encrypted';
	}
}

/** Names whose last verification failed: retention counts them as unverified. */
export function failedNames(state: SnapshotsPane): ReadonlySet<string> {
	return new Set(Object.entries(state.verify).flatMap(([name, verify]) => (verify.kind === 'failed' ? [name] : [])));
}

export interface SaveProgressView {
	readonly received: number;
	readonly total: number | undefined;
	readonly fraction: number | undefined;
	/** Bytes per second since the start. */
	readonly rate: number;
	readonly etaMs: number | undefined;
}

/** Bytes, rate and ETA of a running save; the total is the member's DB size, known from the first message. */
export function saveProgress(save: SaveState, now: number): SaveProgressView | undefined {
	if (save.kind !== 'saving') return undefined;
	const elapsed = Math.max(1, now - save.startedAt);
	const rate = (save.received / elapsed) * 1000;
	const fraction = save.total ? Math.min(1, save.received / save.total) : undefined;
	const etaMs = save.total !== undefined && rate > 0 ? ((save.total - save.received) / rate) * 1000 : undefined;
	return {received: save.received, total: save.total, fraction, rate, etaMs};
}

export function progressBar(fraction: number | undefined, width: number): string {
	const cells = Math.max(4, width);
	if (fraction === undefined) return `[${' '.repeat(cells)}]`;
	const filled = Math.round(fraction * cells);
	return `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}]`;
}
