import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {describe, it} from 'node:test';
import {decodeSnapshotResponse, SnapshotResponseError} from '../../source/etcd/snapshot-response.js';

// The reference encoder: protobufjs over etcd's own rpc.proto as etcd3 ships it (what the stream used before).
const require = createRequire(import.meta.url);
const protobuf = require('protobufjs') as {
	Root: new () => {
		loadSync(path: string, options: {keepCase: boolean}): {lookupType(name: string): {encode(message: object): {finish(): Uint8Array}; fromObject(object: object): object}};
	};
};
const rpcProto = join(dirname(require.resolve('etcd3')), '..', 'proto', 'rpc.proto');
const SnapshotResponse = new protobuf.Root().loadSync(rpcProto, {keepCase: true}).lookupType('etcdserverpb.SnapshotResponse');
const encode = (object: object) => Buffer.from(SnapshotResponse.encode(SnapshotResponse.fromObject(object)).finish());

describe('decodeSnapshotResponse', () => {
	it('reads what protobufjs encodes from rpc.proto, header included', () => {
		const blob = randomBytes(32 * 1024);
		for (const remaining of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 282_390_528]) {
			const message = encode({header: {cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '20257', raft_term: '7'}, remaining_bytes: String(remaining), blob});
			const decoded = decodeSnapshotResponse(message);
			assert.equal(decoded.remainingBytes, remaining);
			assert.deepEqual(decoded.blob, blob);
		}
	});

	it('hands out a view of the message, not a copy', () => {
		const message = encode({remaining_bytes: '5', blob: Buffer.from('hello')});
		const decoded = decodeSnapshotResponse(message);
		message[message.length - 1] = 0x21;
		assert.equal(decoded.blob.toString(), 'hell!');
	});

	it('gives an empty blob and 0 remaining for an empty message (proto3 defaults)', () => {
		const decoded = decodeSnapshotResponse(Buffer.alloc(0));
		assert.equal(decoded.remainingBytes, 0);
		assert.equal(decoded.blob.length, 0);
	});

	it('skips fields it does not know, of every wire type', () => {
		const unknown = Buffer.from([
			0x20, 0x96, 0x01, // field 4, varint 150
			0x29, 1, 2, 3, 4, 5, 6, 7, 8, // field 5, fixed64
			0x35, 1, 2, 3, 4, // field 6, fixed32
			0x3a, 2, 0xaa, 0xbb, // field 7, 2 bytes
		]);
		const decoded = decodeSnapshotResponse(Buffer.concat([unknown, encode({remaining_bytes: '9', blob: Buffer.from('abc')})]));
		assert.equal(decoded.remainingBytes, 9);
		assert.equal(decoded.blob.toString(), 'abc');
	});

	it('refuses truncated and malformed messages instead of returning part of a blob', () => {
		const whole = encode({remaining_bytes: '100', blob: randomBytes(100)});
		for (const damaged of [whole.subarray(0, whole.length - 1), Buffer.from([0x10, 0x80]), Buffer.from([0x1a, 0x05, 1, 2]), Buffer.from([0x0b])]) {
			assert.throws(() => decodeSnapshotResponse(damaged), SnapshotResponseError);
		}
		assert.throws(() => decodeSnapshotResponse(Buffer.from([0x10, ...Array(10).fill(0xff), 0x01])), /longer than 10 bytes/);
	});
});
