import type {ManifestEncryption, SnapshotManifest} from '../../model/snapshot-entry.js';
import type {EndpointStatus, MemberInfo} from '../../model/types.js';
import type {DbStatus} from './snapshot-status.js';

export type {ManifestEncryption, SnapshotManifest};

/** What the save streamed (save.ts SavedStream). */
export interface ManifestStream {
	readonly dbSize: number;
	readonly fileSize: number;
	/** etcd's sha256 of the database bytes. */
	readonly etcdSha256: string;
	/** sha256 of the whole file as written. */
	readonly fileSha256: string;
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

/** A manifest lists every member with its URLs: 4 MiB is thousands of members. No reader holds more. */
export const maxManifestBytes = 4 << 20;

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
		sha256: stream.fileSha256,
		etcdSha256: stream.etcdSha256,
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

const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isSha256 = (value: unknown): value is string => isString(value) && /^[0-9a-f]{64}$/.test(value);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/**
 * FILE.meta.json's text -> the manifest, or undefined when it is not one etcdtop wrote: not JSON, another
 * version, or a field of the wrong type. Its fields are still untrusted text (whoever can write the
 * directory can write them): printed through the sanitizer, and a file is deleted only when it matches them.
 */
export function parseManifest(text: string): SnapshotManifest | undefined {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return undefined;
	}
	if (typeof parsed !== 'object' || parsed === null) return undefined;
	const m = parsed as Record<string, unknown>;
	const member = m['member'] as Record<string, unknown> | null | undefined;
	const members = m['members'];
	const isMember = (value: unknown) => {
		const row = value as Record<string, unknown> | null;
		return typeof row === 'object' && row !== null && isString(row['name']) && isString(row['id']) && isStrings(row['peerUrls']) && isStrings(row['clientUrls']) && typeof row['isLearner'] === 'boolean';
	};
	const isSound =
		m['manifestVersion'] === 1 &&
		isString(m['file']) &&
		isString(m['createdAt']) &&
		isString(m['clusterId']) &&
		typeof member === 'object' &&
		member !== null &&
		isString(member['id']) &&
		isString(member['name']) &&
		isString(member['endpoint']) &&
		[m['revision'], m['raftTerm'], m['raftIndex'], m['size'], m['fileSize'], m['totalKey']].every(isCount) &&
		isSha256(m['sha256']) &&
		(m['etcdSha256'] === undefined || isSha256(m['etcdSha256'])) &&
		isString(m['etcdVersion']) &&
		Array.isArray(members) &&
		members.every(isMember);
	return isSound ? (parsed as SnapshotManifest) : undefined;
}
