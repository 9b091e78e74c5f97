import type {TestContext} from 'node:test';
import {render} from 'ink-testing-library';
import type {PollerSnapshot} from '../../source/poller/poller.js';
import type {SnapshotPaneStore} from '../../source/model/snapshots-pane.js';
import {App} from '../../source/ui/app.js';
import type {CommandLog} from '../../source/ui/command-log.js';
import type {ConsoleStore} from '../../source/ui/console-store.js';
import {buildKeymap} from '../../source/ui/keymap.js';
import type {MaintenanceStore} from '../../source/ui/maintenance-store.js';
import type {MemberOpsBackend} from '../../source/ui/member-ops.js';
import {ClusterBuilder, t0} from './cluster-builder.js';
import {InputProbe, InputWatch} from './input-ready.js';

/** A fixture store: the console reads it exactly as it reads the live poller. */
export class FixtureStore implements ConsoleStore {
	snapshot: PollerSnapshot;
	calls: string[] = [];
	private readonly listeners = new Set<() => void>();
	constructor(cluster = new ClusterBuilder().list().allOk().state) {
		this.snapshot = {cluster, intervalMs: 1000, isPaused: false};
	}
	subscribe = (listener: () => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};
	getSnapshot = () => this.snapshot;
	publish(patch: Partial<PollerSnapshot>) {
		this.snapshot = {...this.snapshot, ...patch};
		for (const listener of this.listeners) listener();
	}
	refresh = () => this.calls.push('refresh');
	setPaused = (isPaused: boolean) => {
		this.calls.push(`paused:${isPaused}`);
		this.publish({isPaused});
	};
	setInterval = (ms: number) => {
		this.calls.push(`interval:${ms}`);
		this.publish({intervalMs: ms});
	};
}

export interface MountOptions {
	readonly store?: ConsoleStore;
	readonly isReadOnly?: boolean;
	readonly now?: number;
	readonly snapshots?: SnapshotPaneStore;
	readonly memberOps?: MemberOpsBackend;
	readonly commandLog?: CommandLog;
	readonly maintenance?: MaintenanceStore;
}

/**
 * The one way component tests draw the console: the App over fixture stores (never a live poller), its
 * keymap built as the console builds it, a watch for the input handshake, unmounted when the test ends.
 */
export function mount(t: TestContext, {store = new FixtureStore(), isReadOnly = false, now = t0 + 5000, snapshots, memberOps, commandLog, maintenance}: MountOptions = {}) {
	let quits = 0;
	const watch = new InputWatch();
	const view = render(
		<InputProbe watch={watch}>
			<App
				store={store}
				keymap={buildKeymap({isReadOnly})}
				isReadOnly={isReadOnly}
				onQuit={() => quits++}
				now={() => now}
				{...(snapshots ? {snapshots} : {})}
				{...(memberOps ? {memberOps} : {})}
				{...(commandLog ? {commandLog} : {})}
				{...(maintenance ? {maintenance} : {})}
			/>
		</InputProbe>,
	);
	watch.setFrames(view.frames);
	t.after(() => view.unmount());
	return {...view, watch, quits: () => quits};
}
