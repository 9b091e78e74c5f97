import type {EndpointStatus, MemberInfo} from '../etcd/types.js';
import type {SavedStream} from './save.js';
import type {DbStatus} from './snapshot-status.js';

/** FILE.meta.json: where a snapshot came from and what is in it, for whoever restores it at 3 a.m. */
export interface SnapshotManifest {
	readonly manifestVersion: 1;
	readonly file: string;
	readonly createdAt: string;
	readonly clusterId: string;
	readonly member: {readonly id: string; readonly name: string; readonly endpoint: string};
	/** From the file itself: the last revision in its "key" bucket. */
	readonly revision: number;
	/** The raft term the member reported just before the stream started (a 3.4 database does not record it). */
	readonly raftTerm: number;
	/** The raft index the snapshot's backend had applied (its consistent_index); the member's applied index if absent. */
	readonly raftIndex: number;
	readonly sha256: string;
	/** Database bytes; the file is 32 bytes longer (etcd's sha256 trailer). */
	readonly size: number;
	readonly fileSize: number;
	/** Keys in all buckets, as `etcdctl snapshot status` counts them (TOTAL KEYS). */
	readonly totalKey: number;
	readonly etcdVersion: string;
	readonly members: ReadonlyArray<{
		readonly name: string;
		readonly id: string;
		readonly peerUrls: readonly string[];
		readonly clientUrls: readonly string[];
		readonly isLearner: boolean;
	}>;
	/** Set when FILE is age-encrypted: to whom, so an operator knows which key opens it. */
	readonly encryption?: ManifestEncryption;
}

export type ManifestEncryption = {readonly kind: 'x25519'; readonly recipients: readonly string[]} | {readonly kind: 'scrypt'};

export interface ManifestInputs {
	readonly file: string;
	readonly createdAt: Date;
	readonly endpoint: string;
	/** The source member's status, taken just before the stream started. */
	readonly status: EndpointStatus;
	readonly memberName: string;
	readonly members: readonly MemberInfo[];
	readonly stream: SavedStream;
	readonly db: DbStatus;
	readonly encryption?: ManifestEncryption;
}

export function manifestPathOf(path: string): string {
	return `${path}.meta.json`;
}

export function buildManifest(inputs: ManifestInputs): SnapshotManifest {
	const {status, stream, db} = inputs;
	return {
		manifestVersion: 1,
		file: inputs.file,
		createdAt: inputs.createdAt.toISOString(),
		clusterId: status.clusterId,
		member: {id: status.memberId, name: inputs.memberName, endpoint: inputs.endpoint},
		revision: db.revision,
		raftTerm: status.raftTerm,
		raftIndex: db.consistentIndex ?? status.raftAppliedIndex,
		sha256: stream.sha256,
		size: stream.dbSize,
		fileSize: stream.fileSize,
		totalKey: db.totalKey,
		etcdVersion: status.version,
		members: inputs.members.map(member => ({
			name: member.name,
			id: member.id,
			peerUrls: [...member.peerUrls],
			clientUrls: [...member.clientUrls],
			isLearner: member.isLearner,
		})),
		...(inputs.encryption ? {encryption: inputs.encryption} : {}),
	};
}

export function serializeManifest(manifest: SnapshotManifest): string {
	return `${JSON.stringify(manifest, undefined, 2)}\n`;
}
