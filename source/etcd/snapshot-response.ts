/**
 * One message of etcd's Maintenance.Snapshot stream: database bytes, and finally the 32-byte sha256 of them.
 * `blob` is a view into the received message, not a copy.
 */
export interface SnapshotMessage {
	readonly blob: Buffer;
	/** Database bytes still to come after this message (0 on the last data message and on the sha256 one). */
	readonly remainingBytes: number;
}

export class SnapshotResponseError extends Error {
	override readonly name = 'SnapshotResponseError';
}

// etcdserverpb.SnapshotResponse, from etcd's rpc.proto:
//   ResponseHeader header = 1; uint64 remaining_bytes = 2; bytes blob = 3;
// Decoded by hand rather than by protobufjs: a 256 MB snapshot is ~8,000 messages of 32 KiB, and
// protobufjs copies every blob and turns every uint64 into a string through Long. That was ~0.2 s of a
// 1.4 s stream on loopback (bench/snapshot.ts).
const wire = {varint: 0, fixed64: 1, bytes: 2, fixed32: 5} as const;
const field = {remainingBytes: 2, blob: 3} as const;

/** Decodes a SnapshotResponse; unknown fields are skipped, as protobuf requires. Throws on malformed input. */
export function decodeSnapshotResponse(message: Buffer): SnapshotMessage {
	let position = 0;
	let remainingBytes = 0;
	let blob: Buffer | undefined;
	const varint = (): number => {
		let value = 0;
		let scale = 1;
		for (let index = 0; index < 10; index++) {
			if (position >= message.length) throw new SnapshotResponseError('a snapshot message ends inside a number');
			const byte = message[position++]!;
			value += (byte & 0x7f) * scale;
			if ((byte & 0x80) === 0) return value;
			scale *= 128;
		}
		throw new SnapshotResponseError('a snapshot message holds a number longer than 10 bytes');
	};
	while (position < message.length) {
		const tag = varint();
		const number = Math.floor(tag / 8);
		switch (tag % 8) {
			case wire.varint: {
				const value = varint();
				if (number === field.remainingBytes) remainingBytes = value;
				break;
			}
			case wire.bytes: {
				const length = varint();
				if (position + length > message.length) throw new SnapshotResponseError('a snapshot message is shorter than a field it announces');
				if (number === field.blob) blob = message.subarray(position, position + length);
				position += length;
				break;
			}
			case wire.fixed64:
				position += 8;
				break;
			case wire.fixed32:
				position += 4;
				break;
			default:
				throw new SnapshotResponseError(`a snapshot message has a field of unknown wire type ${tag % 8}`);
		}
	}
	if (position > message.length) throw new SnapshotResponseError('a snapshot message is shorter than a field it announces');
	// Above 2^53 the count is inexact; save.ts refuses such a size by name.
	return {blob: blob ?? Buffer.alloc(0), remainingBytes};
}

/** SnapshotRequest has no fields: its encoding is empty. */
export function encodeSnapshotRequest(): Buffer {
	return Buffer.alloc(0);
}
