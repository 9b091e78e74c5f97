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

test('TLS and scheme failures name the likely fix, without OpenSSL noise', () => {
	assert.equal(classifyError(new Error(grpcErrors.tls)).message, "unable to verify the first certificate (the member's certificate is not signed by a CA etcdtop trusts: give the cluster's CA with --cacert)");
	assert.equal(classifyError(new Error(grpcErrors.tlsNoCert)).message, 'sslv3 alert bad certificate (the member refused the client certificate: give --cert and --key signed by its --trusted-ca-file)');
	// Captured from etcd 3.4.23 with a TLS client port: an endpoint by a name its certificate does not list, and http:// to it.
	const altname = "14 UNAVAILABLE: No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: localhost. is not cert's CN: s (2026-12-06T08:23:58.200Z). Resolution note: ";
	assert.match(classifyError(new Error(altname)).message, /^Hostname\/IP does not match certificate's altnames: Host: localhost\. is not cert's CN: s \(the member's certificate does not name this host/);
	const plain = '14 UNAVAILABLE: No connection established. Last error: Failed to connect (2026-12-06T08:23:52.653Z). Resolution note: ';
	assert.equal(classifyError(new Error(plain)).message, 'Failed to connect (if the member serves TLS, use https:// with --cacert)');
});
