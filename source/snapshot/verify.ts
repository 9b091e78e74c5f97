import {readFileSync} from 'node:fs';
import {isAgeFile, openAgeFileSource, parseIdentities, type AgeIdentity} from './age.js';
import {readSnapshotStatus, readSourceSnapshotStatus, type SnapshotStatus} from './snapshot-status.js';

/** How to open FILE.age: identity files (age-keygen output) and/or a passphrase. */
export interface DecryptKeys {
	readonly identityFiles: readonly string[];
	readonly passphrase: string | undefined;
}

export class NoDecryptKeyError extends Error {
	override readonly name = 'NoDecryptKeyError';
}

export function identitiesOf(keys: DecryptKeys): AgeIdentity[] {
	const identities: AgeIdentity[] = keys.identityFiles.flatMap(file => parseIdentities(readFileSync(file, 'utf8')).map(secretKey => ({kind: 'x25519' as const, secretKey})));
	if (keys.passphrase !== undefined) identities.push({kind: 'scrypt', passphrase: keys.passphrase});
	return identities;
}

/**
 * The full check of a snapshot file, plain or age-encrypted: bbolt structure, etcdctl's numbers (with the
 * CRC) and the sha256 trailer. Synchronous and CPU-bound for an encrypted file: the console runs it in a worker.
 */
export async function verifySnapshotFile(path: string, keys: DecryptKeys = {identityFiles: [], passphrase: undefined}): Promise<SnapshotStatus> {
	if (!isAgeFile(path)) return readSnapshotStatus(path);
	const identities = identitiesOf(keys);
	if (identities.length === 0) throw new NoDecryptKeyError(`${path} is encrypted: give --identity FILE or the passphrase (ETCDTOP_SNAPSHOT_PASSPHRASE)`);
	const source = openAgeFileSource(path, {identities});
	try {
		return readSourceSnapshotStatus(source);
	} finally {
		source.close();
	}
}
