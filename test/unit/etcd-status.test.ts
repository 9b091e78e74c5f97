import assert from 'node:assert/strict';
import {test} from 'node:test';
import {alarmsOf} from '../../source/etcd/member-client.js';

test("alarms are read from a status answer's errors, with the raising member's ID in hex", () => {
	// Captured from etcd 3.4.23: every member of a 3-member cluster answered this after one filled its quota.
	const errors = ['memberID:4909164171546968689 alarm:NOSPACE ', 'etcdserver: no leader', 'memberID:1 alarm:CORRUPT'];
	assert.deepEqual(alarmsOf(errors), [
		{memberId: '4420dacddd21c271', alarm: 'NOSPACE'},
		{memberId: '1', alarm: 'CORRUPT'},
	]);
	assert.deepEqual(alarmsOf([]), []);
});
