import type {Etcd3} from 'etcd3';
import {toDecimalId, toHexId, toNumber} from './ids.js';
import type {Alarm} from './types.js';

/**
 * The maintenance capability of one member's client: every call goes to that member only (the client has
 * one host and no-op policies) and carries a deadline the caller chose for it.
 */
export interface MaintenanceCalls {
	/** Blocks the member while it rewrites its database: the deadline must grow with the DB (defragDeadlineMs). */
	defragment(timeoutMs: number): Promise<void>;
	/** Physical: the answer comes once the compaction is applied to this member's backend. */
	compact(revision: number, timeoutMs: number): Promise<CompactResult>;
	/** `alarm list`. In etcd this is a raft request: an explicit command may ask, a watcher must not. */
	alarmList(timeoutMs: number): Promise<readonly Alarm[]>;
	/** Deactivates one NOSPACE alarm; there is deliberately no way to disarm CORRUPT here. */
	disarmNospace(memberId: string, timeoutMs: number): Promise<readonly Alarm[]>;
	/** HashKV at `revision` (0: the member's current revision). */
	hashKv(revision: number, timeoutMs: number): Promise<HashKvResult>;
	/** One bounded page of a range, read from this member (serializable) or through raft (linearizable). */
	rangePage(request: RangePageRequest, timeoutMs: number): Promise<RangePage>;
	/** A linearizable read of one key: proves the member reaches the leader and the read index advances. */
	linearizableRead(timeoutMs: number): Promise<{readonly revision: number}>;
}

export interface CompactResult {
	readonly revision: number;
}

export interface HashKvResult {
	readonly memberId: string;
	/** uint32, as etcd returns it. */
	readonly hash: number;
	readonly compactRevision: number;
	/** The member's current revision when it answered. */
	readonly revision: number;
	/** etcd 3.5.13+/3.6 add the revision the hash covers; 0 when the member does not say. */
	readonly hashRevision: number;
}

export interface RangePageRequest {
	readonly key: Buffer;
	/** Exclusive end; an empty buffer means "only `key`", Buffer.from([0]) means "to the end". */
	readonly rangeEnd: Buffer;
	readonly limit: number;
	/** 0: the newest revision. A scan pins the revision of its first page so every page sees one keyspace. */
	readonly revision: number;
	readonly isKeysOnly: boolean;
	readonly isSerializable: boolean;
}

export interface RangeEntry {
	readonly key: Buffer;
	readonly valueSize: number;
	readonly modRevision: number;
}

export interface RangePage {
	readonly entries: readonly RangeEntry[];
	readonly isMore: boolean;
	/** Keys in [key, rangeEnd) at the revision (the whole range, not this page). */
	readonly count: number;
	readonly revision: number;
}

/** The slice of etcd3's private ConnectionPool used for HashKV: etcd3's own maintenance.hashKV() calls a method name the loaded service does not have. */
interface RawPool {
	exec<T>(service: 'Maintenance', method: string, payload: unknown, options?: object): Promise<T>;
}

function deadline(ms: number): {deadline: Date} {
	return {deadline: new Date(Date.now() + ms)};
}

/** The proto's enum numbers: etcd3's typings name them "Nospace"/"Deactivate", which the wire encoder does not know. */
const alarmAction = {get: 0, deactivate: 2} as const;
const alarmType = {none: 0, nospace: 1} as const;

function alarmsOfReply(reply: {alarms?: Array<{memberID: string; alarm: string | number}>}): Alarm[] {
	return (reply.alarms ?? []).flatMap(entry => {
		// etcd3 renames the proto's enum values ("Nospace"); numbers are the proto's.
		const name = typeof entry.alarm === 'number' ? (['NONE', 'NOSPACE', 'CORRUPT'] as const)[entry.alarm] : String(entry.alarm).toUpperCase();
		return name === 'NOSPACE' || name === 'CORRUPT' ? [{memberId: toHexId(entry.memberID), alarm: name}] : [];
	});
}

/** The key etcdctl's `endpoint health` reads: any key does, a missing one costs nothing. */
const probeKey = Buffer.from('health');

/** The maintenance calls over one member's etcd3 client; MemberClient exposes each as a method. */
export function maintenanceCalls(client: Etcd3): MaintenanceCalls {
	const pool = (client as unknown as {pool: RawPool}).pool;
	return {
		async defragment(timeoutMs) {
			await client.maintenance.defragment(deadline(timeoutMs));
		},
		async compact(revision, timeoutMs) {
			const reply = await client.kv.compact({revision, physical: true}, deadline(timeoutMs));
			return {revision: toNumber(reply.header.revision)};
		},
		async alarmList(timeoutMs) {
			const reply = await client.maintenance.alarm({action: alarmAction.get, memberID: 0, alarm: alarmType.none}, deadline(timeoutMs));
			return alarmsOfReply(reply as never);
		},
		async disarmNospace(memberId, timeoutMs) {
			const reply = await client.maintenance.alarm({action: alarmAction.deactivate, memberID: toDecimalId(memberId), alarm: alarmType.nospace}, deadline(timeoutMs));
			return alarmsOfReply(reply as never);
		},
		async hashKv(revision, timeoutMs) {
			const reply = await pool.exec<{header: {member_id: string; revision: string}; hash: number; compact_revision: string; hash_revision?: string}>(
				'Maintenance',
				'hashKv',
				{revision},
				deadline(timeoutMs),
			);
			return {
				memberId: toHexId(reply.header.member_id),
				hash: Number(reply.hash) >>> 0,
				compactRevision: toNumber(reply.compact_revision),
				revision: toNumber(reply.header.revision),
				hashRevision: toNumber(reply.hash_revision),
			};
		},
		async rangePage(request, timeoutMs) {
			const reply = await client.kv.range(
				{
					key: request.key,
					...(request.rangeEnd.length > 0 ? {range_end: request.rangeEnd} : {}),
					limit: request.limit,
					revision: request.revision,
					keys_only: request.isKeysOnly,
					serializable: request.isSerializable,
				},
				deadline(timeoutMs),
			);
			return {
				entries: reply.kvs.map(kv => ({key: kv.key, valueSize: kv.value?.length ?? 0, modRevision: toNumber(kv.mod_revision)})),
				isMore: reply.more,
				count: toNumber(reply.count),
				revision: toNumber(reply.header.revision),
			};
		},
		async linearizableRead(timeoutMs) {
			try {
				const reply = await client.kv.range({key: probeKey, limit: 1, keys_only: true, serializable: false}, deadline(timeoutMs));
				return {revision: toNumber(reply.header.revision)};
			} catch (error) {
				// etcd checks permissions after the read index: a user without access to the key still proved the
				// linearizable path works, as etcdctl's endpoint health counts it.
				if (/permission denied/i.test(error instanceof Error ? error.message : String(error))) return {revision: 0};
				throw error;
			}
		},
	};
}

const mib = 1024 * 1024;

/**
 * Defragment blocks the member while it copies every live page into a new file: on a slow disk ~10 MiB/s.
 * A minute of slack plus that rate keeps a healthy defrag of any size from being cut off (etcdctl's 5 s
 * default is what makes large ones "fail" half-way through their wait, while etcd carries on).
 */
export function defragDeadlineMs(dbSize: number): number {
	return 60_000 + Math.ceil((Math.max(0, dbSize) / (10 * mib)) * 1000);
}

/** A physical compaction deletes old revisions in batches; ~20 MiB/s of database, a minute of slack. */
export function compactDeadlineMs(dbSize: number): number {
	return 60_000 + Math.ceil((Math.max(0, dbSize) / (20 * mib)) * 1000);
}

/** HashKV reads the whole key bucket: ~50 MiB/s, 30 s of slack. */
export function hashKvDeadlineMs(dbSize: number): number {
	return 30_000 + Math.ceil((Math.max(0, dbSize) / (50 * mib)) * 1000);
}

/** The end of the range of every key starting with `prefix` (etcd's GetPrefixRangeEnd); "\0" for everything. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
	const end = Buffer.from(prefix);
	for (let index = end.length - 1; index >= 0; index--) {
		if (end[index]! < 0xff) {
			end[index]!++;
			return end.subarray(0, index + 1);
		}
	}
	return Buffer.from([0]);
}
