import {createHash, type Hash} from 'node:crypto';
import type {SnapshotManifest} from '../model/snapshot-entry.js';

// Retention deletes files in directories (and buckets) others write to as well. A NAME.meta.json is only a
// claim: a file is etcdtop's to delete when its manifest names that very file and the file still has the
// size and sha256 etcdtop recorded. Anything else is left where it is and reported.

const trailerSize = 32;

/** Why a file is not the one its manifest describes, from what a listing shows (name, size, type); undefined when it may be. */
export function claimProblem(manifest: SnapshotManifest, name: string, size: number): string | undefined {
	if (manifest.file !== name) return `its manifest names another file (${JSON.stringify(manifest.file)})`;
	if (manifest.fileSize !== size) return `it is ${size} bytes, its manifest says ${manifest.fileSize}`;
	if (manifest.etcdSha256 === undefined) {
		// An older etcdtop recorded only etcd's hash of the database: checkable on a plain file (the database,
		// then that hash as its trailer), not on ciphertext.
		if (manifest.encryption !== undefined || name.endsWith('.age')) return 'its manifest (from an older etcdtop) records no sha256 of the encrypted file';
		if (manifest.fileSize !== manifest.size + trailerSize) return `its manifest (from an older etcdtop) says ${manifest.size} database bytes in a ${manifest.fileSize}-byte file`;
	}
	return undefined;
}

/**
 * The file's bytes, in order, against its manifest's hashes: the whole file's sha256 (etcdSha256 recorded),
 * or for an older manifest etcd's sha256 of the database bytes and the trailer that carries it.
 */
export class ManifestDigest {
	private readonly hash: Hash = createHash('sha256');
	private readonly isWholeFile: boolean;
	private seen = 0;
	private readonly tail: Buffer[] = [];

	constructor(private readonly manifest: SnapshotManifest) {
		this.isWholeFile = manifest.etcdSha256 !== undefined;
	}

	update(chunk: Buffer): void {
		if (this.isWholeFile) {
			this.hash.update(chunk);
		} else {
			const databaseLeft = Math.max(0, this.manifest.size - this.seen);
			this.hash.update(chunk.subarray(0, databaseLeft));
			if (chunk.length > databaseLeft) this.tail.push(chunk.subarray(databaseLeft));
		}
		this.seen += chunk.length;
	}

	/** Undefined when the bytes are the file the manifest describes, else why not. */
	problem(): string | undefined {
		if (this.seen !== this.manifest.fileSize) return `it is ${this.seen} bytes, its manifest says ${this.manifest.fileSize}`;
		const digest = this.hash.digest('hex');
		if (this.isWholeFile) return digest === this.manifest.sha256 ? undefined : "its sha256 is not its manifest's: it changed after etcdtop wrote it";
		if (digest !== this.manifest.sha256) return "its database's sha256 is not its manifest's: it changed after etcdtop wrote it";
		if (Buffer.concat(this.tail).toString('hex') !== this.manifest.sha256) return "its sha256 trailer is not its manifest's: it changed after etcdtop wrote it";
		return undefined;
	}
}

/** A file retention leaves alone, and why. */
export interface LeftAlone {
	readonly name: string;
	readonly why: string;
}

/** What a retention run did (or with isDryRun would do). */
export interface RetentionOutcome {
	readonly removed: readonly string[];
	readonly leftAlone: readonly LeftAlone[];
}
