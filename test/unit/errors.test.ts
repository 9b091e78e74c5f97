import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {ClassifiedError, classifyError, permissionDeniedFailure} from '../../source/etcd/errors.js';
import {exitCodeFor} from '../../source/output/exit-code.js';
import {failureLabel} from '../../source/model/failure-label.js';
import {statusTable} from '../../source/output/status-text.js';
import {ClusterBuilder} from '../helpers/cluster-builder.js';
import {grpcErrors} from '../helpers/fixtures.js';
import {buildConfig} from '../../source/config/config.js';
import {connectOptionsOf} from '../../source/config/connect-options.js';
import {grantRootCommandOf} from '../../source/config/printed-client.js';

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

test('a compacted revision is its own kind: gRPC OUT_OF_RANGE with etcd\'s ErrCompacted, as etcd3 raises it (no code property) or grpc-js does', () => {
	// Captured from etcd 3.4.23 and 3.5.30: HashKV and Compact at a revision below the compaction.
	const raised = new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted');
	assert.deepEqual(classifyError(raised), {kind: 'compacted', message: 'etcdserver: mvcc: required revision has been compacted'});
	assert.equal(classifyError(Object.assign(new Error('etcdserver: mvcc: required revision has been compacted'), {code: 11})).kind, 'compacted');
	// OUT_OF_RANGE for a future revision, and the words without the code, are something else.
	assert.equal(classifyError(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision')).kind, 'error');
	assert.notEqual(classifyError(new Error('14 UNAVAILABLE: getaddrinfo ENOTFOUND compacted.example')).kind, 'compacted');
	assert.notEqual(classifyError(new Error('etcdserver: mvcc: required revision has been compacted')).kind, 'compacted');
});

test('a learner\'s refusal is its own kind, said in words, never "unreachable" (etcd answers it UNAVAILABLE)', () => {
	const raw = Object.assign(new Error('14 UNAVAILABLE: etcdserver: rpc not supported for learner'), {code: 14});
	const failure = classifyError(raw);
	assert.equal(failure.kind, 'learner');
	assert.equal(failure.message, 'etcdserver: rpc not supported for learner (the member is a learner: etcd serves it only Status and serializable reads until it is promoted; ask a voter)');
	assert.equal(failureLabel(failure), 'a learner: it answers only Status and serializable reads');
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

const alice = {name: 'alice', grantRootCommand: grantRootCommandOf('alice')};

test('permission denied (etcd 3.5.28+ to a user without the root role) is its own kind, said in words with the user and the releases', () => {
	// What etcd3 raised against etcd 3.5.30 for Status as a user with only a key-range role.
	const raw = new Error('7 PERMISSION_DENIED: etcdserver: permission denied');
	assert.equal(classifyError(raw).kind, 'permission-denied');
	assert.equal(classifyError(Object.assign(new Error('odd'), {code: 7})).kind, 'permission-denied');
	assert.equal(classifyError(new Error('3 INVALID_ARGUMENT: etcdserver: user name is empty')).kind, 'auth');
	const failure = permissionDeniedFailure(alice, 'Status');
	assert.equal(failure.kind, 'permission-denied');
	assert.match(failure.message, /user "alice" does not have the root role/);
	assert.match(failure.message, /etcd 3\.4\.42\+, 3\.5\.28\+ and 3\.6\.0\+ require/);
	assert.match(failure.message, /etcdctl user grant-role alice root/);
	assert.doesNotMatch(failure.message, /unreachable/);
	assert.equal(classifyError(new ClassifiedError(failure)), failure);
	assert.match(permissionDeniedFailure(undefined, 'Status').message, /the client certificate's user \(its common name\)/);
	const bob = {name: 'bob', grantRootCommand: grantRootCommandOf('bob')};
	assert.match(permissionDeniedFailure(bob, 'MemberRemove').message, /etcd requires for member changes/);
	// Snapshots, defragmentation and hashes were never open to other users; MemberList is not a change.
	for (const call of ['Snapshot', 'Defragment', 'HashKV']) assert.match(permissionDeniedFailure(bob, call).message, /which every etcd release requires for snapshots, defragmentation and hashes/);
	assert.match(permissionDeniedFailure(bob, 'MemberList').message, /3\.5\.28\+/);
});

test('the grant-role fix is printed quoted: a --user name with a space and a quote pastes back as that name', () => {
	const name = "al ice's";
	const config = buildConfig({endpoints: 'http://127.0.0.1:2379', user: `${name}:pw`}, {});
	const options = connectOptionsOf(config);
	assert.equal(options.auth?.grantRootCommand, `etcdctl user grant-role 'al ice'\\''s' root`);
	const message = permissionDeniedFailure({name, grantRootCommand: options.auth!.grantRootCommand}, 'MemberRemove').message;
	const command = /\((etcdctl user grant-role .*? root)\)/.exec(message)?.[1];
	assert.equal(command, options.auth?.grantRootCommand, message);
	// The shell reads the printed line back as etcdctl's own words: the name whole, then root.
	const words = spawnSync('sh', ['-c', `printf '%s\\n' ${command!}`], {encoding: 'utf8'}).stdout.split('\n').slice(0, -1);
	assert.deepEqual(words, ['etcdctl', 'user', 'grant-role', name, 'root']);
	// A control character in the name is shown as an escape, in bash's ANSI-C quoting, never raw.
	assert.equal(grantRootCommandOf('ev\u001bil'), "etcdctl user grant-role $'ev\\x1bil' root");
});

test('a cluster that refuses this user is "permission-denied" (exit 3), never unreachable, and says why once', () => {
	const denied = permissionDeniedFailure(alice, 'Status');
	const builder = new ClusterBuilder().list();
	for (let index = 0; index < 3; index++) builder.fail(index, denied);
	const view = builder.state.view;
	assert.equal(view.health, 'permission-denied');
	assert.equal(exitCodeFor(view.health), 3);
	assert.equal(view.reasons[0], denied.message);
	assert.equal(view.reasons.filter(reason => reason === denied.message).length, 1);
	assert.ok(view.reasons.slice(1).every(reason => /refuses this user \(permission denied\)/.test(reason)), view.reasons.join('\n'));
	assert.doesNotMatch(view.reasons.join('\n'), /unreachable/);
	assert.match(statusTable(view), /\| permission denied \|/);
	assert.deepEqual(
		builder.state.events.map(event => event.type),
		['member-denied', 'member-denied', 'member-denied'],
	);
});
