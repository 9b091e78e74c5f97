import type {ManifestEncryption, SnapshotManifest} from '../../model/snapshot-entry.js';
import type {EndpointStatus, MemberInfo} from '../../model/types.js';
import type {DbStatus} from './snapshot-status.js';

export type {ManifestEncryption, SnapshotManifest};

/** What the save streamed (save.ts SavedStream). */
export interface ManifestStream {
	readonly dbSize: number;
	readonly fileSize: number;
	readonly sha256: string;
}

export interface ManifestInputs {
	readonly file: string;
	readonly createdAt: Date;
	readonly endpoint: string;
	/** The source member's status, taken just before the stream started. */
	readonly status: EndpointStatus;
	readonly memberName: string;
	readonly members: readonly MemberInfo[];
	readonly stream: ManifestStream;
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
