import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Header} from '../../source/ui/components/header.js';
import {MaintenancePane} from '../../source/ui/components/maintenance-pane.js';
import {MembersTable} from '../../source/ui/components/members-table.js';
import {maintenanceRows} from '../../source/model/maintenance.js';
import {ClusterBuilder, followerIndex, memberIds, t0} from '../helpers/cluster-builder.js';

const mib = 1024 * 1024;

function viewOf(builder: ClusterBuilder) {
	return builder.state.view;
}

test('a member being defragmented reads "defragmenting" on the dashboard, even while its probe times out', () => {
	const builder = new ClusterBuilder().list().allOk().tick().fail(followerIndex, {kind: 'timeout', message: 'Deadline exceeded'});
	const view = viewOf(builder);
	const id = memberIds[followerIndex]!;
	const plain = render(<MembersTable view={view} selectedKey={undefined} now={t0 + 2000} width={120} />);
	assert.match(plain.lastFrame()!, /timeout/);
	plain.unmount();
	const busy = render(<MembersTable view={view} selectedKey={undefined} now={t0 + 2000} width={120} busy={{[id]: 'defragmenting'}} />);
	const row = busy.lastFrame()!.split('\n').find(line => line.includes('defragmenting'));
	assert.ok(row, busy.lastFrame());
	assert.doesNotMatch(row!, /timeout/);
	busy.unmount();
	const header = render(<Header view={view} now={t0 + 2000} intervalMs={1000} isPaused={false} isReadOnly={false} width={160} busy={{[id]: 'defragmenting'}} />);
	assert.match(header.lastFrame()!, /is defragmenting/);
	header.unmount();
});

test('NOSPACE: the header says what to do and which key starts the recovery; read-only says where else', () => {
	const builder = new ClusterBuilder().list().withAlarms([{memberId: memberIds[0]!, alarm: 'NOSPACE'}]).allOk();
	const view = viewOf(builder);
	const header = render(<Header view={view} now={t0} intervalMs={1000} isPaused={false} isReadOnly={false} width={200} />);
	assert.match(header.lastFrame()!, /NOSPACE: the database is full and writes are refused; press 4, then d/);
	header.unmount();
	const readOnly = render(<Header view={view} now={t0} intervalMs={1000} isPaused={false} isReadOnly width={200} />);
	assert.match(readOnly.lastFrame()!, /etcdtop defrag --compact --disarm \(this console is read-only\)/);
	readOnly.unmount();
});

test('the pane shows quota use with its thresholds and suggests a defrag when less than half is in use', () => {
	const builder = new ClusterBuilder().list();
	builder.ok(0, {dbSize: 900 * mib, dbSizeInUse: 300 * mib}).ok(1, {dbSize: 990 * mib, dbSizeInUse: 900 * mib}).ok(2, {dbSize: 100 * mib, dbSizeInUse: 90 * mib});
	const view = viewOf(builder);
	const quotas = Object.fromEntries(memberIds.map(id => [id, 1024 * mib]));
	const rows = maintenanceRows(view, quotas);
	const byId = new Map(rows.map(row => [row.id, row]));
	assert.equal(byId.get(memberIds[0])!.quotaLevel, 'warn');
	assert.equal(byId.get(memberIds[0])!.isDefragSuggested, true);
	assert.equal(byId.get(memberIds[1])!.quotaLevel, 'critical');
	assert.equal(byId.get(memberIds[2])!.quotaLevel, 'ok');
	assert.equal(maintenanceRows(view, {})[0]!.quotaLevel, 'unknown');
	const pane = render(<MaintenancePane view={view} state={{quotas, task: undefined, pendingConfirm: undefined, busy: {}}} isReadOnly={false} now={t0} width={150} height={30} />);
	const frame = pane.lastFrame()!;
	assert.match(frame, /quota use over 80% warns, over 95% is critical/);
	assert.match(frame, /defrag suggested: less than half in use/);
	assert.match(frame, /near the quota: compact and defrag/);
	assert.match(frame, /97%/);
	pane.unmount();
	const unknown = render(<MaintenancePane view={view} state={{quotas: {}, task: undefined, pendingConfirm: undefined, busy: {}}} isReadOnly={false} now={t0} width={150} height={30} />);
	assert.match(unknown.lastFrame()!, /unknown/);
	unknown.unmount();
});
