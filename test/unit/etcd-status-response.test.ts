import assert from 'node:assert/strict';
import {fileURLToPath} from 'node:url';
import {test} from 'node:test';
import protobuf from 'protobufjs';
import {decodeStatusResponse, StatusResponseError} from '../../source/etcd/status-response.js';

const fixture = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
// etcd 3.6's StatusResponse, and the 3.4 one etcd3 bundles (which ends at isLearner = 10).
const v36 = new protobuf.Root().loadSync(fixture('test/fixtures/proto/status-3.6.proto'), {keepCase: true}).lookupType('etcdserverpb.StatusResponse');
const v34 = new protobuf.Root().loadSync(fixture('node_modules/etcd3/proto/rpc.proto'), {keepCase: true}).lookupType('etcdserverpb.StatusResponse');

const common = {
	// A member ID above 2^63: uint64, not int64, and far beyond a JS number.
	header: {cluster_id: '18349936207442233377', member_id: '12743123456789012345', revision: '812', raft_term: '7'},
	version: '3.6.5',
	dbSize: '25001984',
	leader: '12743123456789012345',
	raftIndex: '9007199254740993',
	raftTerm: '7',
	raftAppliedIndex: '1204',
	errors: ['memberID:1 alarm:NOSPACE'],
	dbSizeInUse: '16384',
	isLearner: true,
};

test('3.6 Status: storageVersion (11), dbSizeQuota (12) and downgradeInfo (13) are decoded', () => {
	const bytes = v36.encode(v36.fromObject({...common, storageVersion: '3.6.0', dbSizeQuota: '8589934592', downgradeInfo: {enabled: true, targetVersion: '3.5.0'}})).finish();
	const reply = decodeStatusResponse(bytes);
	assert.equal(reply.storageVersion, '3.6.0');
	assert.equal(reply.dbSizeQuota, 8_589_934_592n);
	assert.deepEqual(reply.downgradeInfo, {isEnabled: true, targetVersion: '3.5.0'});
	assert.equal(reply.memberId, 12_743_123_456_789_012_345n);
	assert.equal(reply.clusterId, 18_349_936_207_442_233_377n);
	assert.equal(reply.leader, 12_743_123_456_789_012_345n);
	assert.equal(reply.revision, 812n);
	assert.equal(reply.headerRaftTerm, 7n);
	assert.equal(reply.raftIndex, 9_007_199_254_740_993n, 'above 2^53, exact');
	assert.equal(reply.raftAppliedIndex, 1204n);
	assert.equal(reply.dbSize, 25_001_984n);
	assert.equal(reply.dbSizeInUse, 16_384n);
	assert.deepEqual(reply.errors, ['memberID:1 alarm:NOSPACE']);
	assert.equal(reply.isLearner, true);
	assert.equal(reply.version, '3.6.5');
});

test('3.6 Status with no downgrade and the default quota: an empty downgradeInfo decodes as not enabled', () => {
	const bytes = v36.encode(v36.fromObject({...common, storageVersion: '3.6.0', dbSizeQuota: '2147483648', downgradeInfo: {}})).finish();
	const reply = decodeStatusResponse(bytes);
	assert.equal(reply.dbSizeQuota, 2_147_483_648n);
	assert.deepEqual(reply.downgradeInfo, {isEnabled: false, targetVersion: ''});
});

test('3.4/3.5 Status (no fields past isLearner): the 3.6 fields are undefined, the rest equals protobufjs with the bundled proto', () => {
	const bytes = v34.encode(v34.fromObject({...common, version: '3.5.30'})).finish();
	const reply = decodeStatusResponse(bytes);
	assert.equal(reply.storageVersion, undefined);
	assert.equal(reply.dbSizeQuota, undefined);
	assert.equal(reply.downgradeInfo, undefined);
	const reference = v34.toObject(v34.decode(bytes), {longs: String, defaults: true}) as Record<string, unknown> & {header: Record<string, string>};
	assert.equal(reply.memberId.toString(), reference.header['member_id']);
	assert.equal(reply.clusterId.toString(), reference.header['cluster_id']);
	for (const key of ['dbSize', 'leader', 'raftIndex', 'raftTerm', 'raftAppliedIndex', 'dbSizeInUse'] as const) assert.equal(reply[key].toString(), reference[key], key);
	assert.equal(reply.version, reference['version']);
	assert.deepEqual(reply.errors, reference['errors']);
});

test('an empty answer decodes to zeros; fields a later etcd adds are skipped', () => {
	const empty = decodeStatusResponse(new Uint8Array());
	assert.equal(empty.memberId, 0n);
	assert.equal(empty.isLearner, false);
	assert.equal(empty.dbSizeQuota, undefined);
	const known = v36.encode(v36.fromObject({version: '3.7.0', dbSizeQuota: '1024'})).finish();
	// field 14, varint 1; field 15, bytes "x"; field 16, fixed64; field 17, fixed32
	const later = Buffer.concat([Buffer.from([0x70, 0x01, 0x7a, 0x01, 0x78]), Buffer.from([0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([0x8d, 0x01, 1, 2, 3, 4]), known]);
	const reply = decodeStatusResponse(later);
	assert.equal(reply.version, '3.7.0');
	assert.equal(reply.dbSizeQuota, 1024n);
});

test('a malformed answer is an error, not garbage', () => {
	const good = v36.encode(v36.fromObject({...common, storageVersion: '3.6.0'})).finish();
	assert.throws(() => decodeStatusResponse(good.subarray(0, good.length - 2)), StatusResponseError);
	assert.throws(() => decodeStatusResponse(Uint8Array.from([0x10, 0x80])), StatusResponseError, 'ends inside a number');
	assert.throws(() => decodeStatusResponse(Uint8Array.from([0x0b])), StatusResponseError, 'wire type 3 (groups) is not etcd');
	assert.throws(() => decodeStatusResponse(Uint8Array.from([0x12, 0x01])), StatusResponseError, 'version announced longer than the answer');
	assert.throws(() => decodeStatusResponse(Uint8Array.from([0x62, 0x01, 0x00])), StatusResponseError, 'dbSizeQuota with the wrong wire type');
});
