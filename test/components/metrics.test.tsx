import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {render} from 'ink-testing-library';
import {parseEtcdMetrics, type Histogram} from '../../source/model/etcd-metrics.js';
import type {ClusterState} from '../../source/model/cluster-state.js';
import {App} from '../../source/ui/app.js';
import {MemberDetails} from '../../source/ui/components/member-details.js';
import {MembersTable} from '../../source/ui/components/members-table.js';
import {buildKeymap} from '../../source/ui/keymap.js';
import {ClusterBuilder, t0} from '../helpers/cluster-builder.js';
import {cluster3, metricsText} from '../helpers/fixtures.js';
import {frameWith, strip} from '../helpers/frames.js';


/** `extra` more fsyncs, each in the bucket that ends at `bound` (seconds). */
function withFsyncs(histogram: Histogram, extra: number, bound: number): Histogram {
	return {...histogram, counts: histogram.counts.map((count, index) => (histogram.bounds[index]! >= bound ? count + extra : count))};
}

const slowIndex = 1;
const slowName = cluster3.memberList.members.find(member => member.clientUrls.includes(cluster3.endpoints[slowIndex]!))!.name;
const captured = parseEtcdMetrics(metricsText['3.5.30']);
// The capture came from another cluster: its two peers take the IDs of the slow member's two peers here.
const peerIds = cluster3.memberList.members.filter(member => member.name !== slowName).map(member => member.id);
const base = {...captured, peerRtt: Object.fromEntries(Object.values(captured.peerRtt).map((histogram, index) => [peerIds[index]!, histogram]))};

/** Two scrapes 5 s apart; in between the slow member did 100 fsyncs of 256-512 ms (p99 ~509 ms). */
function slowDisk(bound = 0.512): ClusterState {
	const builder = new ClusterBuilder(undefined, 30_000).list().allOk();
	for (let index = 0; index < 3; index++) builder.scraped(index, base);
	builder.tick(5000).allOk();
	for (let index = 0; index < 3; index++) builder.scraped(index, index === slowIndex ? {...base, walFsync: withFsyncs(base.walFsync!, 100, bound)} : base);
	return builder.state;
}

function mount(t: TestContext, cluster: ClusterState) {
	const snapshot = {cluster, intervalMs: 1000, isPaused: false};
	const store = {
		subscribe: () => () => undefined,
		getSnapshot: () => snapshot,
		refresh: () => undefined,
		setPaused: () => undefined,
		setInterval: () => undefined,
	};
	const view = render(<App store={store} keymap={buildKeymap({isReadOnly: false})} isReadOnly={false} onQuit={() => undefined} now={() => t0 + 6000} />);
	t.after(() => view.unmount());
	return view;
}

for (const width of [80, 120]) {
	test(`members table at ${width} columns: FSYNC p99, COMMIT p99, RTT p99, nothing wider than the screen`, t => {
		const {lastFrame, unmount} = render(<MembersTable view={slowDisk().view} selectedKey={undefined} now={t0 + 6000} width={width} />);
		t.after(unmount);
		const frame = strip(lastFrame());
		const [header, ...rows] = frame.split('\n');
		assert.match(header!, /FSYNC p99\s+COMMIT p99\s+RTT p99/);
		for (const line of frame.split('\n')) assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
		const slow = rows.find(row => row.includes(slowName))!;
		assert.match(slow, /509ms!/, 'the slow member, marked over its alert threshold in words, not only colour');
		for (const row of rows.filter(row => !row.includes(slowName))) assert.doesNotMatch(row, /!/);
		if (width === 120) assert.match(header!, /TERM\s+INDEX\s+APPLIED\s+DB\s+LAT\s+FSYNC p99/);
	});
}

test('a slow disk: the cluster is degraded saying which member and threshold, and the log names the member', async t => {
	const {lastFrame} = mount(t, slowDisk());
	const frame = await frameWith(lastFrame, 'DEGRADED');
	assert.match(frame, new RegExp(`${slowName}: WAL fsync p99 509 ms over the last 5 s, over the 500 ms warning threshold`));
	assert.match(frame, new RegExp(`WARN ${slowName}: WAL fsync p99 509 ms`));
});

test('over 1 s the cluster is CRITICAL', async t => {
	const {lastFrame} = mount(t, slowDisk(1.024));
	const frame = await frameWith(lastFrame, 'CRITICAL');
	assert.match(frame, new RegExp(`FAIL ${slowName}: WAL fsync p99 1\\.02 s`));
});

test('details: every number from /metrics with a sparkline each, the peers by name', t => {
	// Rendered alone: the App clips it to ink-testing-library's 24 rows; a real 40-row terminal shows it whole.
	const {view} = slowDisk();
	const member = view.members.find(candidate => candidate.name === slowName)!;
	const {lastFrame, unmount} = render(<MemberDetails member={member} view={view} now={t0 + 6000} width={100} />);
	t.after(unmount);
	const details = strip(lastFrame());
	assert.ok(details.split('\n').length <= 34, 'fits the body of a 40-row terminal');
	for (const label of ['commit p99', 'peer RTT p99', 'leader changes', 'failed props', 'pending props', 'has leader', 'slow applies', 'DB total', 'DB in use', 'quota', 'open fds']) {
		assert.match(details, new RegExp(`${label}\\s+\\S`), label);
	}
	assert.match(details, /read 1s ago, p99 over the last 5 s/);
	assert.match(details, /WAL fsync p99\s+509 ms\s+[▁-█ ]+/);
	assert.match(details, /open fds\s+\d+\/20000/);
	const others = cluster3.memberList.members.filter(member => member.name !== slowName).map(member => member.name);
	assert.match(details, new RegExp(`peers p99\\s+${others[0]} .*, ${others[1]} `), 'peers by name, not hex ID');
	assert.match(details, /WARNING WAL fsync p99 509 ms/);
});

test('unreadable metrics: the row says n/a, details say why, and the cluster stays healthy', async t => {
	const builder = new ClusterBuilder(undefined, 30_000).list().allOk();
	for (let index = 0; index < 3; index++) builder.scraped(index, base);
	builder.tick(5000).scrapeFailed(slowIndex, 'https://127.0.0.1:2379/metrics: 401 Unauthorized');
	const {lastFrame} = mount(t, builder.state);
	const frame = await frameWith(lastFrame, 'HEALTHY');
	assert.match(frame, new RegExp(`${slowName} .* n/a\\s+n/a\\s+n/a`));
	assert.match(frame, new RegExp(`WARN ${slowName}: metrics cannot be read: https://127.0.0.1:2379/metrics: 401 Unauthorized`));
});
