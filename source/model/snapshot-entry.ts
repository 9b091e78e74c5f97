// A snapshot file as the console lists it, and what its manifest (FILE.meta.json) says: the shapes the
// Snapshots pane shows. snapshot/file/manifest.ts writes and reads them; snapshot/snapshot-dir.ts lists them.

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
	/**
	 * sha256 of the whole file as etcdtop wrote it: what `sha256sum FILE` prints (of the ciphertext for
	 * FILE.age). In a manifest without etcdSha256 (etcdtop before it was recorded) this is etcd's hash instead.
	 */
	readonly sha256: string;
	/** etcd's sha256 of the database bytes, without the trailer that carries it (of the plaintext for FILE.age). */
	readonly etcdSha256?: string;
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

/** One file in the snapshot directory, as the pane lists it. */
export interface SnapshotEntry {
	readonly name: string;
	readonly path: string;
	readonly fileSize: number;
	readonly modifiedAt: number;
	readonly isEncrypted: boolean;
	/** FILE.meta.json, when etcdtop wrote the file (and so verified its sha256 while saving). */
	readonly manifest: SnapshotManifest | undefined;
	/** An object in S3 (`--snapshot-dir s3://…`): `path` is its URL, `name` its key under the pane's prefix. */
	readonly remote?: {readonly bucket: string; readonly key: string; readonly url: string};
}

/** When the snapshot was taken: its manifest's word, else the file's time. */
export function createdAtOf(entry: SnapshotEntry): number {
	const fromManifest = entry.manifest ? Date.parse(entry.manifest.createdAt) : Number.NaN;
	return Number.isFinite(fromManifest) ? fromManifest : entry.modifiedAt;
}

/** Both hashes a manifest records, whichever etcdtop wrote it: an old manifest knows only etcd's (in `sha256`). */
export function manifestHashes(manifest: Pick<SnapshotManifest, 'sha256' | 'etcdSha256'>): {readonly fileSha256: string | undefined; readonly etcdSha256: string} {
	return typeof manifest.etcdSha256 === 'string' ? {fileSha256: manifest.sha256, etcdSha256: manifest.etcdSha256} : {fileSha256: undefined, etcdSha256: manifest.sha256};
}
