import assert from 'node:assert/strict';
import {test} from 'node:test';
import {statusJson} from '../../source/output/status-json.js';
import {statusSimple, statusTable} from '../../source/output/status-text.js';
import {ClusterBuilder} from '../helpers/cluster-builder.js';

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
