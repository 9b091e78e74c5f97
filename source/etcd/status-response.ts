/**
 * etcd's Maintenance.Status answer, decoded by hand from the wire. etcd3 1.1.2 bundles the 3.4 rpc.proto,
 * whose StatusResponse ends at isLearner (10): protobufjs drops what 3.6 added. From etcd 3.6's rpc.proto:
 *
 *   message StatusResponse {
 *     ResponseHeader header = 1;       // cluster_id 1, member_id 2, revision 3, raft_term 4 (all uint64/int64)
 *     string version = 2;              int64 dbSize = 3;          uint64 leader = 4;
 *     uint64 raftIndex = 5;            uint64 raftTerm = 6;       uint64 raftAppliedIndex = 7;
 *     repeated string errors = 8;      int64 dbSizeInUse = 9;     bool isLearner = 10;
 *     string storageVersion = 11;      // 3.6+: the schema version of the member's data (e.g. "3.6.0")
 *     int64 dbSizeQuota = 12;          // 3.6+: the backend quota (--quota-backend-bytes), in bytes
 *     DowngradeInfo downgradeInfo = 13; // 3.6+: {bool enabled = 1; string targetVersion = 2;}
 *   }
 *
 * Unknown fields are skipped, as protobuf requires, so a later etcd still decodes.
 */
export interface StatusResponse {
	readonly clusterId: bigint;
	readonly memberId: bigint;
	readonly revision: bigint;
	readonly headerRaftTerm: bigint;
	readonly version: string;
	readonly dbSize: bigint;
	readonly leader: bigint;
	readonly raftIndex: bigint;
	readonly raftTerm: bigint;
	readonly raftAppliedIndex: bigint;
	readonly errors: readonly string[];
	readonly dbSizeInUse: bigint;
	readonly isLearner: boolean;
	/** 3.6+; undefined when the member does not send it (3.4, 3.5). */
	readonly storageVersion: string | undefined;
	/** 3.6+; undefined when the member does not send it. */
	readonly dbSizeQuota: bigint | undefined;
	/** 3.6+; undefined when the member does not send it. */
	readonly downgradeInfo: {readonly isEnabled: boolean; readonly targetVersion: string} | undefined;
}

export class StatusResponseError extends Error {
	override readonly name = 'StatusResponseError';
}

const wire = {varint: 0, fixed64: 1, bytes: 2, fixed32: 5} as const;

/** A minimal protobuf reader over one message: tags, varints as bigint, length-delimited slices. */
class Reader {
	private position = 0;
	constructor(private readonly bytes: Uint8Array) {}

	get isDone(): boolean {
		return this.position >= this.bytes.length;
	}

	varint(): bigint {
		let value = 0n;
		let shift = 0n;
		for (let index = 0; index < 10; index++) {
			if (this.position >= this.bytes.length) throw new StatusResponseError('a status answer ends inside a number');
			const byte = this.bytes[this.position++]!;
			value |= BigInt(byte & 0x7f) << shift;
			if ((byte & 0x80) === 0) return BigInt.asUintN(64, value);
			shift += 7n;
		}
		throw new StatusResponseError('a status answer holds a number longer than 10 bytes');
	}

	tag(): {readonly field: number; readonly type: number} {
		const tag = Number(this.varint());
		return {field: Math.floor(tag / 8), type: tag % 8};
	}

	slice(): Uint8Array {
		const length = Number(this.varint());
		if (this.position + length > this.bytes.length) throw new StatusResponseError('a status answer is shorter than a field it announces');
		const part = this.bytes.subarray(this.position, this.position + length);
		this.position += length;
		return part;
	}

	skip(type: number): void {
		switch (type) {
			case wire.varint:
				this.varint();
				return;
			case wire.bytes:
				this.slice();
				return;
			case wire.fixed64:
				this.advance(8);
				return;
			case wire.fixed32:
				this.advance(4);
				return;
			default:
				throw new StatusResponseError(`a status answer has a field of unknown wire type ${type}`);
		}
	}

	private advance(count: number): void {
		if (this.position + count > this.bytes.length) throw new StatusResponseError('a status answer is shorter than a field it announces');
		this.position += count;
	}
}

const text = new TextDecoder();

function expect(type: number, wanted: number, name: string): void {
	if (type !== wanted) throw new StatusResponseError(`a status answer's ${name} has wire type ${type}, not ${wanted}`);
}

/** int64 fields travel as two's complement varints; etcd's sizes are never negative, but decode them right. */
function signed(value: bigint): bigint {
	return BigInt.asIntN(64, value);
}

export function decodeStatusResponse(bytes: Uint8Array): StatusResponse {
	const reader = new Reader(bytes);
	let header = {clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n};
	let version = '';
	let dbSize = 0n;
	let leader = 0n;
	let raftIndex = 0n;
	let raftTerm = 0n;
	let raftAppliedIndex = 0n;
	const errors: string[] = [];
	let dbSizeInUse = 0n;
	let isLearner = false;
	let storageVersion: string | undefined;
	let dbSizeQuota: bigint | undefined;
	let downgradeInfo: StatusResponse['downgradeInfo'];
	while (!reader.isDone) {
		const {field, type} = reader.tag();
		const varint = (name: string): bigint => (expect(type, wire.varint, name), reader.varint());
		const bytes = (name: string): Uint8Array => (expect(type, wire.bytes, name), reader.slice());
		switch (field) {
			case 1:
				header = decodeHeader(bytes('header'));
				break;
			case 2:
				version = text.decode(bytes('version'));
				break;
			case 3:
				dbSize = signed(varint('dbSize'));
				break;
			case 4:
				leader = varint('leader');
				break;
			case 5:
				raftIndex = varint('raftIndex');
				break;
			case 6:
				raftTerm = varint('raftTerm');
				break;
			case 7:
				raftAppliedIndex = varint('raftAppliedIndex');
				break;
			case 8:
				errors.push(text.decode(bytes('errors')));
				break;
			case 9:
				dbSizeInUse = signed(varint('dbSizeInUse'));
				break;
			case 10:
				isLearner = varint('isLearner') !== 0n;
				break;
			case 11:
				storageVersion = text.decode(bytes('storageVersion'));
				break;
			case 12:
				dbSizeQuota = signed(varint('dbSizeQuota'));
				break;
			case 13:
				downgradeInfo = decodeDowngradeInfo(bytes('downgradeInfo'));
				break;
			default:
				reader.skip(type);
		}
	}
	return {
		clusterId: header.clusterId,
		memberId: header.memberId,
		revision: header.revision,
		headerRaftTerm: header.raftTerm,
		version,
		dbSize,
		leader,
		raftIndex,
		raftTerm,
		raftAppliedIndex,
		errors,
		dbSizeInUse,
		isLearner,
		storageVersion,
		dbSizeQuota,
		downgradeInfo,
	};
}

function decodeHeader(bytes: Uint8Array): {clusterId: bigint; memberId: bigint; revision: bigint; raftTerm: bigint} {
	const reader = new Reader(bytes);
	const header = {clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n};
	while (!reader.isDone) {
		const {field, type} = reader.tag();
		if (field >= 1 && field <= 4 && type === wire.varint) {
			const value = reader.varint();
			if (field === 1) header.clusterId = value;
			else if (field === 2) header.memberId = value;
			else if (field === 3) header.revision = signed(value);
			else header.raftTerm = value;
		} else {
			reader.skip(type);
		}
	}
	return header;
}

function decodeDowngradeInfo(bytes: Uint8Array): {isEnabled: boolean; targetVersion: string} {
	const reader = new Reader(bytes);
	let isEnabled = false;
	let targetVersion = '';
	while (!reader.isDone) {
		const {field, type} = reader.tag();
		if (field === 1 && type === wire.varint) isEnabled = reader.varint() !== 0n;
		else if (field === 2 && type === wire.bytes) targetVersion = text.decode(reader.slice());
		else reader.skip(type);
	}
	return {isEnabled, targetVersion};
}

/** StatusRequest has no fields: its encoding is empty. */
export function encodeStatusRequest(): Buffer {
	return Buffer.alloc(0);
}
