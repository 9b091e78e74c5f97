import assert from 'node:assert/strict';
import {describe, test, type TestContext} from 'node:test';
import {initialSnapshotsPane, reduceSnapshots, saveProgress, type SnapshotsEvent, type SnapshotsPane} from '../../source/model/snapshots-pane.js';
import type {SnapshotPaneStore} from '../../source/model/snapshots-pane.js';
import type {SnapshotEntry} from '../../source/snapshot/snapshot-dir.js';
import {manifestRestorePlanLines} from '../../source/snapshot/restore-plan.js';
import {mount} from '../helpers/mount.js';
import {t0} from '../helpers/cluster-builder.js';
import {paneManifest as manifest} from '../helpers/fixtures.js';
import {frameWith, strip, waitUntil} from '../helpers/frames.js';

const now = t0 + 5000;

const entries: SnapshotEntry[] = [
	{name: 'newest.db', path: '/snaps/newest.db', fileSize: 1_000_032, modifiedAt: now - 60_000, isEncrypted: false, manifest: manifest('newest.db', 900, now - 60_000)},
	{name: 'older.db.age', path: '/snaps/older.db.age', fileSize: 1_000_400, modifiedAt: now - 7_200_000, isEncrypted: true, manifest: manifest('older.db.age', 800, now - 7_200_000)},
	{name: 'copied.db', path: '/snaps/copied.db', fileSize: 4096, modifiedAt: now - 3 * 86_400_000, isEncrypted: false, manifest: undefined},
];

class FixtureSnapshots implements SnapshotPaneStore {
	state: SnapshotsPane;
	calls: string[] = [];
	private readonly listeners = new Set<() => void>();
	constructor(events: SnapshotsEvent[] = []) {
		this.state = events.reduce(reduceSnapshots, reduceSnapshots(initialSnapshotsPane('/snaps'), {type: 'listed', entries}));
	}
	subscribe = (listener: () => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};
	getSnapshot = () => this.state;
	dispatch(event: SnapshotsEvent) {
		this.state = reduceSnapshots(this.state, event);
		for (const listener of this.listeners) listener();
	}
	reload = () => this.calls.push('reload');
	save = () => this.calls.push('save');
	verify = (name: string) => this.calls.push(`verify:${name}`);
	remove = (name: string) => this.calls.push(`remove:${name}`);
	restorePlanLines = manifestRestorePlanLines;
}

function mountPane(t: TestContext, snapshots: FixtureSnapshots, {isReadOnly = false} = {}) {
	return mount(t, {snapshots, isReadOnly, now});
}

test('2 lists the directory: file, age, revision, size, source member, verified state', async t => {
	const snapshots = new FixtureSnapshots([{type: 'verify-failed', name: 'copied.db', reason: 'page 3: bad flags'}]);
	const {lastFrame, stdin} = mountPane(t, snapshots);
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	const frame = await frameWith(lastFrame, 'SNAPSHOTS in /snaps');
	assert.deepEqual(snapshots.calls, ['reload']);
	assert.match(frame, /> newest\.db\s+1m\s+900\s+1\.0 MB\s+etcd-2\s+sha256 ok/);
	assert.match(frame, /older\.db\.age\s+2h\s+800\s+1\.0 MB\s+etcd-2\s+sha256 ok \(age\)/);
	assert.match(frame, /copied\.db\s+3d\s+-\s+4\.1 kB\s+-\s+FAILED/);
	assert.match(frame, /^s save\s+v verify\s+d delete\s+enter details/m);
});

test('s saves, v verifies the selected file, j moves the selection', async t => {
	const snapshots = new FixtureSnapshots();
	const {lastFrame, stdin} = mountPane(t, snapshots);
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	await frameWith(lastFrame, '> newest.db');
	stdin.write('s');
	stdin.write('j');
	await frameWith(lastFrame, '> older.db.age');
	stdin.write('v');
	await waitUntil('v to verify', () => snapshots.calls.length === 3);
	assert.deepEqual(snapshots.calls, ['reload', 'save', 'verify:older.db.age']);
	snapshots.dispatch({type: 'verify-started', name: 'older.db.age', at: now});
	await frameWith(lastFrame, /older\.db\.age.*verifying…/);
	snapshots.dispatch({type: 'verify-finished', name: 'older.db.age', at: now, revision: 800, totalKey: 42});
	await frameWith(lastFrame, /older\.db\.age.*verified/);
});

test('a running save shows a bar with bytes, rate and ETA from the DB size', async t => {
	const snapshots = new FixtureSnapshots([
		{type: 'save-started', at: now - 2000, isScheduled: false},
		{type: 'save-progress', received: 50_000_000, total: 200_000_000},
	]);
	const {lastFrame, stdin} = mountPane(t, snapshots);
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	const frame = await frameWith(lastFrame, 'saving');
	assert.match(frame, /saving \[#+\.+\] 25% 50 MB of 200 MB at 25 MB\/s, ETA 6s/);
});

test('d asks for the file name; only the exact name deletes, escape or another name cancels', async t => {
	const snapshots = new FixtureSnapshots();
	const {lastFrame, stdin} = mountPane(t, snapshots);
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	await frameWith(lastFrame, '> newest.db');
	stdin.write('d');
	await frameWith(lastFrame, 'type "newest.db" and enter to delete it (esc cancels)');
	// Keys the console would act on ("q", "2") are text here.
	stdin.write('q2');
	await frameWith(lastFrame, 'cancels): q2');
	stdin.write('\u001B');
	await frameWith(lastFrame, /^(?![\s\S]*type "newest\.db")/);
	stdin.write('d');
	await frameWith(lastFrame, 'type "newest.db"');
	stdin.write('newest');
	await frameWith(lastFrame, 'cancels): newest');
	stdin.write('\r');
	await frameWith(lastFrame, /^(?![\s\S]*type "newest\.db")/);
	stdin.write('d');
	await frameWith(lastFrame, 'type "newest.db"');
	stdin.write('newest.db');
	await frameWith(lastFrame, 'cancels): newest.db');
	stdin.write('\r');
	await frameWith(lastFrame, /^(?![\s\S]*type "newest\.db")/);
	assert.deepEqual(snapshots.calls, ['reload', 'remove:newest.db']);
});

test('--read-only: no delete key, no delete hint', async t => {
	const snapshots = new FixtureSnapshots();
	const {lastFrame, stdin, frames} = mountPane(t, snapshots, {isReadOnly: true});
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	const frame = await frameWith(lastFrame, '> newest.db');
	assert.doesNotMatch(frame, /d delete/);
	const drawn = frames.length;
	// Keys are handled in order: once the help overlay that '?' opens is drawn, 'd' was handled.
	stdin.write('d');
	stdin.write('?');
	await frameWith(lastFrame, 'help: every key');
	for (const later of frames.slice(drawn)) assert.doesNotMatch(strip(later), /Type the file name/);
	assert.doesNotMatch(strip(lastFrame()), /Type the file name/);
});

test('enter shows the manifest and a restore plan with etcdutl for 3.5', async t => {
	const snapshots = new FixtureSnapshots();
	const {lastFrame, stdin} = mountPane(t, snapshots);
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	await frameWith(lastFrame, '> newest.db');
	stdin.write('\r');
	let frame = await frameWith(lastFrame, 'Restore plan');
	assert.match(frame, /revision\s+900, raft index 907, term 3, 42 keys/);
	for (let step = 0; step < 30 && !frame.includes('etcdutl snapshot restore'); step++) {
		const before = strip(lastFrame());
		stdin.write('j');
		await waitUntil('the details to scroll', () => strip(lastFrame()) !== before);
		frame = strip(lastFrame());
	}
	assert.match(frame, /etcdutl snapshot restore \/snaps\/newest\.db --name etcd-1/);
});

describe('pane model', () => {
	test('save progress: rate and ETA', () => {
		const saving = {kind: 'saving' as const, startedAt: 0, received: 100, total: 400, isScheduled: false};
		assert.deepEqual(saveProgress(saving, 1000), {received: 100, total: 400, fraction: 0.25, rate: 100, etaMs: 3000});
		assert.equal(saveProgress({kind: 'idle'}, 1000), undefined);
	});
	test('a listing drops verification states of files that are gone', () => {
		let state = reduceSnapshots(initialSnapshotsPane('/s'), {type: 'listed', entries});
		state = reduceSnapshots(state, {type: 'verify-failed', name: 'copied.db', reason: 'x'});
		state = reduceSnapshots(state, {type: 'listed', entries: entries.slice(0, 1)});
		assert.deepEqual(state.verify, {});
	});
});

test('after s the selection follows the new file, so the next v or d acts on it, not on the older one', async t => {
	const snapshots = new FixtureSnapshots();
	const {lastFrame, stdin} = mountPane(t, snapshots);
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('2');
	await frameWith(lastFrame, '> newest.db');
	stdin.write('j');
	await frameWith(lastFrame, '> older.db.age');
	stdin.write('s');
	await waitUntil('s to save', () => snapshots.calls.includes('save'));
	snapshots.dispatch({type: 'save-started', at: now, isScheduled: false});
	const fresh: SnapshotEntry = {name: 'fresh.db', path: '/snaps/fresh.db', fileSize: 1_000_032, modifiedAt: now, isEncrypted: false, manifest: manifest('fresh.db', 950, now)};
	snapshots.dispatch({type: 'save-finished', name: 'fresh.db', at: now, removed: []});
	snapshots.dispatch({type: 'listed', entries: [fresh, ...entries]});
	await frameWith(lastFrame, '> fresh.db');
	stdin.write('v');
	await waitUntil('v to verify', () => snapshots.calls.some(call => call.startsWith('verify:')));
	assert.deepEqual(snapshots.calls.filter(call => call.startsWith('verify:')), ['verify:fresh.db']);
	// A later save nobody asked for here (--snapshot-every) leaves the selection where the operator put it.
	stdin.write('j');
	await frameWith(lastFrame, '> newest.db');
	snapshots.dispatch({type: 'save-started', at: now, isScheduled: true});
	snapshots.dispatch({type: 'save-finished', name: 'later.db', at: now, removed: []});
	snapshots.dispatch({type: 'listed', entries: [{...fresh, name: 'later.db', path: '/snaps/later.db'}, fresh, ...entries]});
	await frameWith(lastFrame, 'later.db');
	assert.match(strip(lastFrame()), /> newest\.db/);
});
