import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {initialSnapshotsPane, reduceSnapshots} from '../../source/model/snapshots-pane.js';
import type {SnapshotEntry} from '../../source/model/snapshot-entry.js';
import {paneEntryOf} from '../../source/snapshot/remote-dir.js';
import {manifestRestorePlanLines} from '../../source/snapshot/restore-plan.js';
import {snapshotDetailLines} from '../../source/ui/components/snapshot-details.js';
import {SnapshotsPane} from '../../source/ui/components/snapshots-pane.js';
import {paneManifest as manifest} from '../helpers/fixtures.js';
import {strip} from '../helpers/frames.js';

const now = Date.parse('2026-12-06T12:00:00Z');
const key = 'prod/c0ffee/20261206T115900Z-rev900.db';
const remote = paneEntryOf(
	{bucket: 'backups', key, name: '20261206T115900Z-rev900.db', url: `s3://backups/${key}`, fileSize: 1_000_032, modifiedAt: now - 60_000, isEncrypted: false, manifest: manifest(key, 900, now - 60_000)},
	'prod/',
);
const local: SnapshotEntry = {name: 'etcd-snapshot-20261206T100000Z.db', path: '/snaps/etcd-snapshot-20261206T100000Z.db', fileSize: 900_032, modifiedAt: now - 7_200_000, isEncrypted: false, manifest: manifest('x', 800, now - 7_200_000)};

test('an s3:// --snapshot-dir: objects (named by their key under the prefix) and local files side by side, WHERE telling them apart', () => {
	assert.equal(remote.name, 'c0ffee/20261206T115900Z-rev900.db');
	assert.equal(remote.path, `s3://backups/${key}`);
	const state = reduceSnapshots(initialSnapshotsPane('s3://backups/prod/ and /snaps'), {type: 'listed', entries: [remote, local]});
	const frame = strip(render(<SnapshotsPane state={state} selectedName={remote.name} now={now} width={140} height={20} />).lastFrame() ?? '');
	assert.match(frame, /SNAPSHOTS in s3:\/\/backups\/prod\/ and \/snaps/);
	assert.match(frame, /WHERE FILE/);
	assert.match(frame, /> s3 +c0ffee\/20261206T115900Z-rev900\.db +1m +900 .* sha/);
	assert.match(frame, / {2}local etcd-snapshot-20261206T100000Z\.db +2h +800 .* sha/);
	// Only local files: no WHERE column, as before.
	const localOnly = reduceSnapshots(initialSnapshotsPane('/snaps'), {type: 'listed', entries: [local]});
	assert.doesNotMatch(strip(render(<SnapshotsPane state={localOnly} selectedName={undefined} now={now} width={140} height={20} />).lastFrame() ?? ''), /WHERE/);
});

test('an object\'s details plan its restore as snapshot restore-plan s3://… does: fetched and verified on every member host first', () => {
	const state = reduceSnapshots(initialSnapshotsPane('s3://backups/prod/'), {type: 'listed', entries: [remote]});
	const lines = snapshotDetailLines(remote, state, 300, {restorePlanLines: manifestRestorePlanLines}).join('\n');
	assert.match(lines, /^object +s3:\/\/backups\/prod\/c0ffee\/20261206T115900Z-rev900\.db$/m);
	assert.match(lines, /\[etcd-2\] etcdtop snapshot fetch s3:\/\/backups\/prod\/c0ffee\/20261206T115900Z-rev900\.db 20261206T115900Z-rev900\.db/);
	assert.match(lines, /\[etcd-2\] etcdutl snapshot restore 20261206T115900Z-rev900\.db --name etcd-2/);
});
