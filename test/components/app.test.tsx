import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {actionsOn, buildKeymap} from '../../source/ui/keymap.js';
import type {ClusterState} from '../../source/model/cluster-state.js';
import {ClusterBuilder, followerIndex, t0} from '../helpers/cluster-builder.js';
import {cluster3} from '../helpers/fixtures.js';
import {FixtureStore, mount} from '../helpers/mount.js';
import {frameWith, waitUntil} from '../helpers/frames.js';

function mountCluster(t: TestContext, cluster: ClusterState, {isReadOnly = false} = {}) {
	const store = new FixtureStore(cluster);
	return {store, ...mount(t, {store, isReadOnly})};
}

const healthy = () => new ClusterBuilder().list().allOk().state;
const oneHung = () => new ClusterBuilder().list().allOk().tick(2000).fail(followerIndex, {kind: 'timeout', message: 'Deadline exceeded after 1s'}).state;

test('the dashboard shows the cluster, every member and the key hints', async t => {
	const {lastFrame} = mountCluster(t, healthy());
	const frame = await frameWith(lastFrame, 'etcd-3');
	assert.match(frame, /HEALTHY/);
	assert.match(frame, /leader etcd-\d/);
	assert.match(frame, /quorum 2\/3 tolerates 1/);
	for (const name of ['etcd-1', 'etcd-2', 'etcd-3']) assert.match(frame, new RegExp(`${name}\\s+ok`));
	assert.match(frame, /leader\s+\d+/);
	assert.match(frame, /\bq quit\b/);
	assert.match(frame, /\? help/);
});

test('a hung member reads "timeout" with how long, and the cluster is degraded in words', async t => {
	const {lastFrame} = mountCluster(t, oneHung());
	const frame = await frameWith(lastFrame, 'timeout');
	assert.match(frame, /DEGRADED/);
	assert.match(frame, /etcd-\d\s+timeout \d+s/);
	assert.match(frame, /unreachable \(timeout\)/);
	assert.match(frame, /FAIL .*unreachable: timeout/);
});

test('j/k select, enter opens details, escape closes', async t => {
	const {lastFrame, stdin} = mountCluster(t, healthy());
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-2');
	stdin.write('\r');
	const details = await frameWith(lastFrame, 'peer URLs');
	assert.match(details, /etcd-2 ok/);
	assert.match(details, /raft index\s+\d+ \(applied \d+\)/);
	stdin.write('\u001B');
	await frameWith(lastFrame, /^(?![\s\S]*peer URLs)[\s\S]*> etcd-2/);
	stdin.write('k');
	await frameWith(lastFrame, '> etcd-1');
});

test('a member\'s details say whose member list the console shows: a serializable read, which may be stale', async t => {
	const state = new ClusterBuilder().apply({type: 'member-list-fetched', at: t0, list: cluster3.memberList, from: cluster3.memberList.members[1]!.clientUrls[0]!}).allOk().state;
	const {lastFrame, stdin} = mountCluster(t, state);
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('\r');
	const details = await frameWith(lastFrame, 'peer URLs');
	assert.match(details, /member list read from etcd-2 \(serializable\): it may be stale, \d+s ago/);
	assert.match(details, /esc or enter closes/);
});

test('? lists every key of the keymap', async t => {
	const {lastFrame, stdin} = mountCluster(t, healthy());
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('?');
	const frame = await frameWith(lastFrame, 'Keys');
	for (const action of actionsOn(buildKeymap({isReadOnly: false}), 'console')) assert.ok(frame.includes(action.description), action.description);
});

test('a key that cannot act says why, and the hints come back with the next key', async t => {
	const {lastFrame, stdin} = mountCluster(t, healthy());
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('R');
	await frameWith(lastFrame, 'R: member changes are not available in this console');
	stdin.write('j');
	const frame = await frameWith(lastFrame, 'q quit');
	assert.doesNotMatch(frame, /not available/);
	assert.doesNotMatch(frame, /Replace member/);
});

test('p pauses, r refreshes, +/- change the interval, 3 shows the log, q quits', async t => {
	const {lastFrame, stdin, store, quits} = mountCluster(t, oneHung());
	await frameWith(lastFrame, 'every 1s');
	stdin.write('p');
	await frameWith(lastFrame, 'PAUSED');
	stdin.write('r');
	stdin.write('+');
	stdin.write('-');
	stdin.write('-');
	await frameWith(lastFrame, 'every 500ms');
	assert.deepEqual(store.calls, ['paused:true', 'refresh', 'interval:2000', 'interval:1000', 'interval:500']);
	stdin.write('3');
	await frameWith(lastFrame, 'EVENT LOG');
	stdin.write('q');
	await waitUntil('q to quit', () => quits() === 1);
});

test('keys arriving in one chunk each count ("3q" shows the log, then quits)', async t => {
	const {lastFrame, stdin, quits} = mountCluster(t, healthy());
	await frameWith(lastFrame, 'etcd-1');
	stdin.write('jj');
	await frameWith(lastFrame, '> etcd-3');
	stdin.write('3q');
	await frameWith(lastFrame, 'EVENT LOG');
	await waitUntil('q to quit', () => quits() === 1);
});

test('read-only shows RO', async t => {
	const {lastFrame} = mountCluster(t, healthy(), {isReadOnly: true});
	await frameWith(lastFrame, ' RO');
});

test('the log pane shows the command log beside the cluster events, in time order', async t => {
	const {CommandLog} = await import('../../source/ui/command-log.js');
	const commandLog = new CommandLog();
	const view = mount(t, {store: new FixtureStore(oneHung()), commandLog});
	commandLog.append({at: t0 + 1000, severity: 'info', text: 'remove: $ etcdctl member remove abc  # removed'});
	commandLog.append({at: t0 + 3000, severity: 'info', text: '  127.0.0.1:22: starting etcd'});
	view.stdin.write('3');
	const frame = await frameWith(view.lastFrame, 'starting etcd');
	const lines = frame.split('\n');
	const removed = lines.findIndex(line => line.includes('member remove abc'));
	const down = lines.findIndex(line => line.includes('is unreachable: timeout'));
	const output = lines.findIndex(line => line.includes('starting etcd'));
	assert.ok(removed >= 0 && down > removed && output > down, frame);
});

test('details show the quota and storage version an etcd 3.6 member reports, and leave the row out for 3.4/3.5', async t => {
	const v36 = new ClusterBuilder().list().allOk({version: '3.6.5', storageVersion: '3.6.0', dbSizeQuota: 8n * 1024n ** 3n, dbSize: 2 * 1024 ** 3}).state;
	const {lastFrame, stdin} = mountCluster(t, v36);
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('\r');
	const details = await frameWith(lastFrame, 'peer URLs');
	assert.match(details, /quota\s+8\.6 GB \(25% allocated\)/);
	assert.match(details, /storage ver\.\s+3\.6\.0/);
	stdin.write('\u001B');

	const old = mountCluster(t, healthy());
	await frameWith(old.lastFrame, '> etcd-1');
	old.stdin.write('\r');
	const details35 = await frameWith(old.lastFrame, 'peer URLs');
	assert.doesNotMatch(details35, /quota|storage ver/);
});

test('the header carries a line on known problems of the running etcd versions, and none for a current release', async t => {
	const old = mountCluster(t, new ClusterBuilder().list().allOk({version: '3.4.23'}).state);
	const frame = await frameWith(old.lastFrame, 'etcd-3');
	assert.match(frame, /note: 3\.4\.23: etcd 3\.4 is past end of life; move to 3\.5 or 3\.6 \(\+1 more: etcdtop status\)/);
	assert.match(frame, /HEALTHY/);
	const mixed = mountCluster(t, new ClusterBuilder().list().ok(0, {version: '3.5.30'}).ok(1, {version: '3.5.16'}).ok(2, {version: '3.5.30'}).state);
	assert.match(await frameWith(mixed.lastFrame, 'etcd-3'), /note: members run different etcd versions \(3\.5\.16, 3\.5\.30\)/);
	const current = mountCluster(t, new ClusterBuilder().list().allOk({version: '3.5.30'}).state);
	assert.doesNotMatch(await frameWith(current.lastFrame, 'etcd-3'), /note:/);
});
