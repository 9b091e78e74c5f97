import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {render} from 'ink-testing-library';
import type {ClusterState} from '../../source/model/cluster-state.js';
import {Header} from '../../source/ui/components/header.js';
import {KeyHints} from '../../source/ui/components/key-hints.js';
import {MembersTable} from '../../source/ui/components/members-table.js';
import {actionsOn, buildKeymap, formatKeys} from '../../source/ui/keymap.js';
import {scopesFor, initialUi} from '../../source/ui/ui-state.js';
import {ClusterBuilder, followerIndex, leaderIndex, t0} from '../helpers/cluster-builder.js';
import {cluster3} from '../helpers/fixtures.js';
import {frameWith, strip} from '../helpers/frames.js';
import {FixtureStore, mount} from '../helpers/mount.js';

function draw(t: TestContext, node: React.ReactElement): string {
	const view = render(node);
	t.after(() => view.unmount());
	return strip(view.lastFrame());
}

function dashboard(t: TestContext, cluster: ClusterState, width = 120, now = cluster.updatedAt) {
	const {view} = cluster;
	const header = draw(t, <Header view={view} now={now} intervalMs={1000} isPaused={false} isReadOnly={false} width={width} />);
	const table = draw(t, <MembersTable view={view} selectedKey={undefined} now={now} width={width} />);
	return {header, table, row: (index: number) => table.split('\n').find(line => line.includes(` etcd-${index + 1} `)) ?? ''};
}

test('before every member answered: CONNECTING, tolerates ?, waiting rows; never NO-QUORUM, UNREACHABLE or a FAIL event', t => {
	for (const cluster of [new ClusterBuilder().list().state, new ClusterBuilder().list().ok(leaderIndex).state]) {
		const {header, table} = dashboard(t, cluster);
		assert.match(header, /CONNECTING/);
		assert.doesNotMatch(header, /NO-QUORUM|UNREACHABLE|DEGRADED/);
		assert.match(header, /tolerates \?/);
		assert.match(header, /not answered yet/);
		assert.match(table, /etcd-\d\s+waiting/);
		assert.deepEqual(cluster.events, []);
	}
});

test('a member with its own NOSPACE alarm, or whose Status says "no leader", does not read ok', t => {
	const alarm = {memberId: cluster3.statuses[followerIndex]!.memberId, alarm: 'NOSPACE' as const};
	const decimal = BigInt(`0x${alarm.memberId}`).toString(10);
	const nospace = dashboard(t, new ClusterBuilder().list().withAlarms([alarm]).allOk({errors: [`memberID:${decimal} alarm:NOSPACE`]}).state);
	assert.match(nospace.row(followerIndex), /etcd-\d\s+NOSPACE\s+follower/);
	assert.match(nospace.row(leaderIndex), /etcd-\d\s+ok\s+leader/);
	const leaderless = dashboard(t, new ClusterBuilder().list().allOk().tick().ok(followerIndex, {errors: ['etcdserver: no leader']}).state);
	assert.match(leaderless.row(followerIndex), /etcd-\d\s+no-leader\s+follower/);
	assert.doesNotMatch(leaderless.row(followerIndex), /\bok\b/);
	assert.match(leaderless.header, /NO-LEADER/);
});

test('a silent member counts its seconds from its last answer, not from when the failure was seen', t => {
	// Last answer at t0; the first failure seen 2.5 s later (probe timeout plus half an interval).
	const cluster = new ClusterBuilder().list().allOk().tick(2500).fail(followerIndex, {kind: 'timeout', message: 'Deadline exceeded after 1s'}).state;
	for (const [elapsed, shown] of [[3000, '3s'], [4000, '4s'], [5000, '5s']] as const) {
		const {row} = dashboard(t, cluster, 120, t0 + elapsed);
		assert.match(row(followerIndex), new RegExp(`timeout ${shown}\\b`));
	}
});

test('a changed cluster ID and a raft term going back each put a loud line in the header', t => {
	const changed = new ClusterBuilder().list().allOk().tick().ok(followerIndex, {clusterId: 'c0ffee'}).state;
	assert.match(dashboard(t, changed).header, /!! cluster ID changed \w+ -> c0ffee at [\d:]+ \(etcd-\d says so\): another cluster answers/);
	const back = new ClusterBuilder().list().allOk({raftTerm: 40}).tick().allOk({raftTerm: 2}).state;
	assert.match(dashboard(t, back, 160).header, /!! raft term went back on etcd-\d: 40 -> 2 at [\d:]+: its data was replaced .*\(\+2 more: 3 log\)/);
});

test('at 80 columns the hint bar keeps 3 log and R replace, whole hints only, and the other panes', t => {
	const keymap = actionsOn(buildKeymap({isReadOnly: false}), 'console');
	const scopes = scopesFor(initialUi);
	const active = keymap.filter(action => scopes.includes(action.scope));
	const bar = draw(t, <KeyHints keymap={active} width={80} here="dashboard" />);
	assert.ok(bar.length <= 80, bar);
	for (const hint of ['q quit', '? help', '3 log', 'R replace', 'enter details', '2 snapshots', '4 maintenance']) assert.ok(bar.includes(hint), `${hint} in ${bar}`);
	assert.doesNotMatch(bar, /1 dashboard/, 'the key of the pane already open gives way first');
	// Where everything fits, every hint with all its keys.
	assert.match(draw(t, <KeyHints keymap={active} width={160} here="dashboard" />), /q\/ctrl\+c quit .*1 dashboard/);
});

test('the help overlay keeps each pane\'s keys together in one column, and every key on a 24-line terminal', async t => {
	const keymap = buildKeymap({isReadOnly: false});
	const view = mount(t, {store: new FixtureStore(new ClusterBuilder().list().allOk({version: '3.4.23'}).state)});
	await frameWith(view.lastFrame, 'etcd-1');
	view.stdin.write('?');
	const frame = await frameWith(view.lastFrame, 'Keys');
	const lines = frame.split('\n');
	assert.ok(lines.length <= 24, `${lines.length} lines`);
	const columnOf = new Map<string, Set<number>>();
	for (const action of actionsOn(keymap, 'console')) {
		const entry = `${formatKeys(action).padEnd(10)}${action.description}`;
		const line = lines.find(candidate => candidate.includes(entry));
		assert.ok(line, `${action.description} is listed`);
		const columns = columnOf.get(action.scope) ?? new Set();
		columns.add(line.indexOf(entry));
		columnOf.set(action.scope, columns);
	}
	for (const [scope, columns] of columnOf) assert.equal(columns.size, 1, `the ${scope} keys in one column`);
});
