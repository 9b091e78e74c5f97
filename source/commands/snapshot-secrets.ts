import {ConfigError} from '../config/errors.js';
import {promptSecret} from '../config/secret-prompt.js';
import type {SnapshotOptions} from '../config/snapshot-options.js';
import type {DecryptKeys} from '../snapshot/file/verify.js';

const passphraseVariable = 'ETCDTOP_SNAPSHOT_PASSPHRASE';

/** The passphrase: ETCDTOP_SNAPSHOT_PASSPHRASE, else a no-echo prompt (twice when encrypting); never argv. */
export async function readPassphrase(isConfirming: boolean): Promise<string> {
	const fromEnv = process.env[passphraseVariable];
	if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
	if (!process.stdin.isTTY) throw new ConfigError('--encrypt-passphrase', 'no passphrase', `set ${passphraseVariable}, or run in a terminal to be asked`);
	const first = await promptSecret('Snapshot passphrase: ');
	if (isConfirming && (await promptSecret('Again: ')) !== first) throw new ConfigError('--encrypt-passphrase', 'the two passphrases differ', 'try again');
	return first;
}

/**
 * The console's passphrase: asked for (twice) when it encrypts with one, else taken from the variable
 * when set, so the Snapshots pane can verify passphrase-encrypted files too.
 */
export async function consolePassphrase(options: SnapshotOptions): Promise<string | undefined> {
	return options.isPassphraseEncrypting ? readPassphrase(true) : process.env[passphraseVariable] || undefined;
}

/** What reads FILE: the --identity files, and for an age file without them a passphrase (asked for on a terminal). */
export async function decryptKeys(file: string, options: SnapshotOptions): Promise<DecryptKeys> {
	const {isAgeFile} = await import('../snapshot/file/age.js');
	let passphrase = process.env[passphraseVariable] || undefined;
	let isAge = false;
	try {
		isAge = /^s3:\/\//i.test(file) ? file.endsWith('.age') : isAgeFile(file);
	} catch {}
	if (isAge && passphrase === undefined && options.identityFiles.length === 0 && process.stdin.isTTY) passphrase = await readPassphrase(false);
	return {identityFiles: options.identityFiles, passphrase};
}
