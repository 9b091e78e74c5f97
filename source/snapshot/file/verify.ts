import {readFileSync} from 'node:fs';
import {Worker} from 'node:worker_threads';
import {AgeKeyError, isAgeFile, openAgeFileSource, parseIdentities, type AgeIdentity} from './age.js';
import {readSnapshotStatus, readSourceSnapshotStatus, type SnapshotStatus} from './snapshot-status.js';

/** How to open FILE.age: identity files (age-keygen output) and/or a passphrase. */
export interface DecryptKeys {
	readonly identityFiles: readonly string[];
	readonly passphrase: string | undefined;
}

/** FILE.age cannot be opened with the keys given (none, a wrong one, an identity file that is not one): the operator's to fix. */
export class DecryptKeyError extends Error {
	override name = 'DecryptKeyError';
}

/** No key at all was given for an encrypted file. */
export class NoDecryptKeyError extends DecryptKeyError {
	override name = 'NoDecryptKeyError';
}

export function identitiesOf(keys: DecryptKeys): AgeIdentity[] {
	const identities: AgeIdentity[] = keys.identityFiles.flatMap(file => {
		try {
			return parseIdentities(readFileSync(file, 'utf8')).map(secretKey => ({kind: 'x25519' as const, secretKey}));
		} catch (error) {
			if (error instanceof AgeKeyError) throw new DecryptKeyError(`--identity ${file}: ${error.message}`);
			throw new DecryptKeyError(`--identity ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
		}
	});
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
	let source;
	try {
		source = openAgeFileSource(path, {identities});
	} catch (error) {
		if (error instanceof AgeKeyError) throw new DecryptKeyError(`${path}: ${error.message}`);
		throw error;
	}
	try {
		return readSourceSnapshotStatus(source);
	} finally {
		source.close();
	}
}

/** What a verification in a worker answers: the verdict, or why there is none. */
export type VerifyAnswer =
	| {readonly kind: 'done'; readonly isSound: boolean; readonly revision: number; readonly totalKey: number; readonly reason?: string}
	/** FILE.age and no key opens it. */
	| {readonly kind: 'locked'; readonly message: string}
	| {readonly kind: 'error'; readonly message: string};

/**
 * verifySnapshotFile in a worker thread: the bbolt walk and CRC take seconds on a large file, which the
 * console's thread must not spend. The worker is started from here because its script sits beside this
 * file (the bundle and the single-file build look for `./x-worker.js` next to the module that starts it).
 */
export function verifyInWorker(path: string, keys: DecryptKeys): {readonly answer: Promise<VerifyAnswer>; terminate(): void} {
	const worker = new Worker(new URL('./verify-worker.js', import.meta.url), {workerData: {path, keys}});
	const answer = new Promise<VerifyAnswer>(resolve => {
		worker.once('message', (message: VerifyAnswer) => resolve(message));
		worker.once('error', error => resolve({kind: 'error', message: error.message}));
		worker.once('exit', () => resolve({kind: 'error', message: 'the verifier stopped'}));
	});
	return {answer, terminate: () => void worker.terminate()};
}
