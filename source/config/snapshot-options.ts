import {homedir} from 'node:os';
import {join} from 'node:path';
import {statSync} from 'node:fs';
import {parseRecipient, type AgeRecipient} from '../snapshot/file/age.js';
import {parseKeepPolicy, type RetentionPolicy} from '../model/retention.js';
import {checkedDuration} from './config.js';
import {durationRanges} from './duration.js';
import {ConfigError} from './errors.js';

/** --snapshot-dir's default: $XDG_DATA_HOME/etcdtop/snapshots, i.e. ~/.local/share/etcdtop/snapshots. */
export function defaultSnapshotDir(env: Readonly<Record<string, string | undefined>> = process.env, home = homedir()): string {
	const dataHome = env['XDG_DATA_HOME'] && env['XDG_DATA_HOME'].startsWith('/') ? env['XDG_DATA_HOME'] : join(home, '.local', 'share');
	return join(dataHome, 'etcdtop', 'snapshots');
}

/** The snapshot flags as meow hands them over. */
export interface SnapshotFlags {
	readonly snapshotDir?: string;
	readonly keep?: string;
	readonly keepPolicy?: string;
	readonly snapshotEvery?: string;
	readonly encryptTo?: readonly string[];
	readonly encryptPassphrase?: boolean;
	readonly identity?: readonly string[];
}

export interface SnapshotOptions {
	readonly snapshotDir: string;
	readonly isSnapshotDirExplicit: boolean;
	readonly keep: number | undefined;
	/** --keep and --keep-policy together; undefined when neither is given. */
	readonly policy: RetentionPolicy | undefined;
	readonly everyMs: number | undefined;
	/** Public keys (age1…), or 'passphrase' when the passphrase is still to be read. */
	readonly encryptTo: readonly Buffer[];
	readonly isPassphraseEncrypting: boolean;
	readonly identityFiles: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseSnapshotOptions(flags: SnapshotFlags, env: Env = process.env): SnapshotOptions {
	let keep: number | undefined;
	if (flags.keep !== undefined) {
		if (!/^[1-9][0-9]{0,5}$/.test(flags.keep.trim())) throw new ConfigError('--keep', `"${flags.keep}" is not a positive whole number`, 'e.g. --keep 7 keeps the newest 7 snapshots');
		keep = Number(flags.keep.trim());
	}
	let policy: RetentionPolicy | undefined = keep !== undefined ? {keep} : undefined;
	if (flags.keepPolicy !== undefined) {
		const parsed = parseKeepPolicy(flags.keepPolicy);
		if ('problem' in parsed) throw new ConfigError('--keep-policy', `"${flags.keepPolicy}" ${parsed.problem}`, 'e.g. --keep-policy hourly=24,daily=7,weekly=4');
		policy = {...policy, tiers: parsed.tiers};
	}
	let everyMs: number | undefined;
	if (flags.snapshotEvery !== undefined) {
		everyMs = checkedDuration(flags.snapshotEvery, '--snapshot-every', durationRanges.snapshotEvery);
	}
	const encryptTo = (flags.encryptTo ?? []).map(text => {
		const key = parseRecipient(text);
		if (!key) throw new ConfigError('--encrypt-to', `"${text}" is not an age X25519 recipient`, 'give a public key starting with age1…, as age-keygen prints it');
		return key;
	});
	const isPassphraseEncrypting = flags.encryptPassphrase ?? false;
	if (isPassphraseEncrypting && encryptTo.length > 0) {
		throw new ConfigError('--encrypt-passphrase', 'cannot be combined with --encrypt-to', 'age files are for recipients or for a passphrase, not both');
	}
	const identityFiles = [...(flags.identity ?? [])];
	for (const file of identityFiles) {
		try {
			if (!statSync(file).isFile()) throw new Error('not a file');
		} catch {
			throw new ConfigError('--identity', `${file} is not a readable file`, 'give an age identity file, as age-keygen writes it');
		}
	}
	return Object.freeze({
		snapshotDir: flags.snapshotDir ?? defaultSnapshotDir(env),
		isSnapshotDirExplicit: flags.snapshotDir !== undefined,
		keep,
		policy,
		everyMs,
		encryptTo,
		isPassphraseEncrypting,
		identityFiles,
	});
}

/** The recipients to encrypt to, once the passphrase (if any) is known; empty = no encryption. */
export function recipientsOf(options: SnapshotOptions, passphrase: string | undefined): AgeRecipient[] {
	if (options.isPassphraseEncrypting) {
		if (!passphrase) throw new ConfigError('--encrypt-passphrase', 'the passphrase is empty', 'set ETCDTOP_SNAPSHOT_PASSPHRASE or type one at the prompt');
		return [{kind: 'scrypt', passphrase}];
	}
	return options.encryptTo.map(publicKey => ({kind: 'x25519' as const, publicKey}));
}
