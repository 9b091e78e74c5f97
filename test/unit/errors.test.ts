import assert from 'node:assert/strict';
import {test} from 'node:test';
import {classifyError} from '../../source/etcd/errors.js';
import {grpcErrors} from '../helpers/fixtures.js';

test('real grpc errors are classified into plain words', () => {
	assert.equal(classifyError(new Error(grpcErrors.timeout)).kind, 'timeout');
	assert.equal(classifyError(new Error(grpcErrors.refused)).kind, 'refused');
	assert.equal(classifyError(new Error(grpcErrors.tls)).kind, 'tls');
	assert.equal(classifyError(new Error(grpcErrors.tlsNoCert)).kind, 'tls');
	assert.equal(classifyError(new Error(grpcErrors.dns)).kind, 'dns');
});

test('messages keep the cause and drop grpc noise', () => {
	assert.match(classifyError(new Error(grpcErrors.refused)).message, /^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
	assert.match(classifyError(new Error(grpcErrors.timeout)).message, /^Deadline exceeded after/);
	assert.doesNotMatch(classifyError(new Error(grpcErrors.tls)).message, /Resolution note/);
});

test('etcd server errors and grpc codes', () => {
	assert.equal(classifyError(new Error('etcdserver: no leader')).kind, 'no-leader');
	assert.equal(classifyError(new Error('etcdserver: request timed out')).kind, 'timeout');
	assert.equal(classifyError(new Error('etcdserver: authentication failed, invalid user ID or password')).kind, 'auth');
	assert.equal(classifyError(new Error('16 UNAUTHENTICATED: etcdserver: invalid auth token')).kind, 'auth');
	assert.equal(classifyError(Object.assign(new Error('odd'), {code: 4})).kind, 'timeout');
	assert.equal(classifyError(new Error('14 UNAVAILABLE: Connection dropped')).kind, 'unreachable');
	assert.equal(classifyError('weird').kind, 'error');
});
