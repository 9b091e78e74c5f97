import assert from 'node:assert/strict';
import {test} from 'node:test';
import {statusJson} from '../../source/output/status-json.js';
import {statusSimple, statusTable} from '../../source/output/status-text.js';
import {ClusterBuilder} from '../helpers/cluster-builder.js';
import {cluster3} from '../helpers/fixtures.js';

type JsonMember = {dbSizeQuota: number | null; storageVersion: string | null; downgrade: {enabled: boolean; targetVersion: string | null} | null};

test('status: an etcd 3.6 member shows its quota and storage version in the table, simple and json', () => {
	const view = new ClusterBuilder().list().allOk({version: '3.6.5', storageVersion: '3.6.0', dbSizeQuota: 8_589_934_592n, downgradeInfo: {isEnabled: false, targetVersion: ''}}).state.view;
	const table = statusTable(view);
	assert.match(table, /\| +QUOTA +\| +STORAGE VERSION +\| +ERRORS +\|/);
	assert.match(table, /\| +8\.6 GB +\| +3\.6\.0 +\|/);
	assert.match(statusSimple(view), /, 8\.6 GB, 3\.6\.0, /);
	const members = (statusJson(view) as {members: JsonMember[]}).members;
	assert.equal(members[0]!.dbSizeQuota, 8_589_934_592);
	assert.equal(members[0]!.storageVersion, '3.6.0');
	assert.deepEqual(members[0]!.downgrade, {enabled: false, targetVersion: null});
});

test('status: 3.4/3.5 members (no quota or storage version) keep etcdctl\'s columns; json says null', () => {
	const view = new ClusterBuilder().list().allOk().state.view;
	assert.doesNotMatch(statusTable(view), /QUOTA|STORAGE VERSION/);
	const members = (statusJson(view) as {members: JsonMember[]}).members;
	assert.equal(members[0]!.dbSizeQuota, null);
	assert.equal(members[0]!.storageVersion, null);
	assert.equal(members[0]!.downgrade, null);
});

test('status: a member with a NOSPACE alarm or no leader does not read ok; alarms name the member, never a decimal ID', () => {
	const memberId = cluster3.statuses[1]!.memberId;
	const decimal = BigInt(`0x${memberId}`).toString(10);
	const view = new ClusterBuilder().list().withAlarms([{memberId, alarm: 'NOSPACE'}]).allOk({errors: [`memberID:${decimal} alarm:NOSPACE`]}).state.view;
	const table = statusTable(view);
	const row = table.split('\n').find(line => line.includes(memberId))!;
	assert.match(row, /\| NOSPACE +\|/);
	assert.doesNotMatch(row, /\| ok +\|/);
	assert.doesNotMatch(table, new RegExp(decimal));
	assert.match(table, /alarm NOSPACE on etcd-2/);
	const json = statusJson(view) as {members: Array<{id: string; state: string}>};
	assert.equal(json.members.find(member => member.id === memberId)!.state, 'NOSPACE');
	const leaderless = new ClusterBuilder().list().allOk().tick().ok(2, {errors: ['etcdserver: no leader']}).state.view;
	assert.match(statusTable(leaderless).split('\n').find(line => line.includes(cluster3.statuses[2]!.memberId))!, /\| no-leader +\|/);
});

test('status against one dead endpoint: the member list is unknown, not a 1-voter cluster with quorum 1', () => {
	const builder = new ClusterBuilder([cluster3.endpoints[0]!]);
	builder.apply({type: 'member-list-failed', at: builder.at, failure: {kind: 'refused', message: 'connect ECONNREFUSED'}});
	builder.fail(0, {kind: 'refused', message: 'connect ECONNREFUSED'});
	const table = statusTable(builder.state.view);
	assert.match(table, /member list unknown/);
	assert.doesNotMatch(table, /quorum 1|1 voters|0\/1 voters/);
	const json = statusJson(builder.state.view) as {cluster: {voters: number | null; quorum: number | null; tolerance: number | null}};
	assert.deepEqual([json.cluster.voters, json.cluster.quorum, json.cluster.tolerance], [null, null, null]);
});
