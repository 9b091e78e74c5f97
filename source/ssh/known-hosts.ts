import {createHash, createHmac, randomBytes, timingSafeEqual} from 'node:crypto';
import {closeSync, constants, mkdirSync, openSync, readFileSync, writeSync} from 'node:fs';
import {dirname} from 'node:path';
import {SshError} from './errors.js';
import {matchPatternList} from './pattern.js';
import {quoteArgv, quoteShellArg} from './quote.js';

export type KnownHostMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
	readonly line: number;
	readonly marker: KnownHostMarker | undefined;
	/** Plain patterns (`host`, `[host]:2222`, `*.example.com`, `!bad`), or undefined for a hashed entry. */
	readonly patterns: readonly string[] | undefined;
	readonly hashed: {readonly salt: Buffer; readonly hash: Buffer} | undefined;
	readonly keyType: string;
	/** The key blob in SSH wire format, as a server presents it. */
	readonly key: Buffer;
}

/** known_hosts text -> entries. Lines OpenSSH would skip (comments, garbage) are skipped too. */
export function parseKnownHosts(text: string): readonly KnownHostEntry[] {
	const entries: KnownHostEntry[] = [];
	for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
		const line = rawLine.trim();
		if (line === '' || line.startsWith('#')) continue;
		const fields = line.split(/[ \t]+/);
		let marker: KnownHostMarker | undefined;
		if (fields[0]?.startsWith('@')) {
			const name = fields.shift()!.slice(1).toLowerCase();
			if (name !== 'revoked' && name !== 'cert-authority') continue;
			marker = name;
		}
		const [hosts, keyType, keyBase64] = fields;
		if (!hosts || !keyType || !keyBase64) continue;
		const key = Buffer.from(keyBase64, 'base64');
		// A blob starts with its own type; a line whose two disagree is corrupt, not a key to trust.
		if (key.length === 0 || keyTypeOf(key) !== keyType) continue;
		if (hosts.startsWith('|1|')) {
			const [, , salt, hash] = hosts.split('|');
			if (!salt || !hash) continue;
			entries.push({line: index + 1, marker, patterns: undefined, hashed: {salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64')}, keyType, key});
		} else {
			entries.push({line: index + 1, marker, patterns: hosts.split(','), hashed: undefined, keyType, key});
		}
	}
	return entries;
}

/** The name known_hosts stores: `host` on port 22, `[host]:port` elsewhere; lower case, as OpenSSH. */
export function knownHostName(host: string, port = 22): string {
	const name = host.toLowerCase();
	return port === 22 ? name : `[${name}]:${port}`;
}

export function hashHostName(name: string, salt: Buffer): Buffer {
	return createHmac('sha1', salt).update(name).digest();
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
	if (entry.hashed) {
		const digest = hashHostName(name, entry.hashed.salt);
		return digest.length === entry.hashed.hash.length && timingSafeEqual(digest, entry.hashed.hash);
	}
	return matchPatternList(entry.patterns ?? [], name);
}

/** The type name inside a key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
export function keyTypeOf(blob: Buffer): string | undefined {
	if (blob.length < 4) return undefined;
	const length = blob.readUInt32BE(0);
	if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
	return blob.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the blob's digest. */
export function fingerprint(blob: Buffer): string {
	return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict =
	| {readonly status: 'known'; readonly line: number}
	| {readonly status: 'unknown'}
	| {readonly status: 'changed'; readonly lines: readonly number[]}
	| {readonly status: 'revoked'; readonly line: number};

/**
 * The rules of OpenSSH's check_host_key without certificates: a revoked key is refused wherever it is
 * listed; a listed key for this host passes; any other key for this host means the key changed.
 * A different key TYPE counts as changed too: the connection asks for the known types first (see
 * `preferredHostKeyAlgorithms`), so a server that offers another type has lost the one we trust.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
	const name = knownHostName(host, port);
	const revoked = entries.find(entry => entry.marker === 'revoked' && entry.key.equals(key));
	if (revoked) return {status: 'revoked', line: revoked.line};
	const forHost = entries.filter(entry => entry.marker === undefined && entryMatches(entry, name));
	const same = forHost.find(entry => entry.key.equals(key));
	if (same) return {status: 'known', line: same.line};
	if (forHost.length > 0) return {status: 'changed', lines: forHost.map(entry => entry.line)};
	return {status: 'unknown'};
}

const algorithmsByKeyType: Readonly<Record<string, readonly string[]>> = {
	'ssh-ed25519': ['ssh-ed25519'],
	'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
	'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
	'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
	'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const defaultAlgorithms = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];

/** Host key algorithms with the types we already trust for this host first, as OpenSSH orders them. */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
	const name = knownHostName(host, port);
	const known = entries.filter(entry => entry.marker === undefined && entryMatches(entry, name)).flatMap(entry => algorithmsByKeyType[entry.keyType] ?? []);
	return [...new Set([...known, ...defaultAlgorithms])];
}

/** One known_hosts line; hashed (`|1|salt|hmac`) as Debian's HashKnownHosts default writes them. */
export function formatKnownHostsLine(host: string, port: number, key: Buffer, isHashed = true, salt: Buffer = randomBytes(20)): string {
	const name = knownHostName(host, port);
	const hosts = isHashed ? `|1|${salt.toString('base64')}|${hashHostName(name, salt).toString('base64')}` : name;
	return `${hosts} ${keyTypeOf(key) ?? 'unknown'} ${key.toString('base64')}`;
}

export function readKnownHosts(path: string): readonly KnownHostEntry[] {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw new SshError('config', `cannot read known_hosts ${path}: ${(error as Error).message}`);
	}
	return parseKnownHosts(text);
}

export function appendKnownHost(path: string, line: string): void {
	mkdirSync(dirname(path), {recursive: true, mode: 0o700});
	let fd: number;
	try {
		// O_NOFOLLOW: a link planted where known_hosts should be is refused, not written through.
		fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ELOOP') throw new SshError('config', `${path} is a symbolic link: etcdtop does not write host keys through links; give the real file with --ssh-known-hosts`);
		throw new SshError('config', `cannot add the host key to ${path}: ${(error as Error).message}`);
	}
	try {
		writeSync(fd, `${line}\n`);
	} finally {
		closeSync(fd);
	}
}

/** What an operator runs to trust a host after checking its fingerprint out of band. */
export function keyscanHint(host: string, port: number, keyType: string | undefined, path: string): string {
	const type = keyType === undefined ? undefined : keyType === 'ssh-rsa' ? 'rsa' : keyType.startsWith('ecdsa-') ? 'ecdsa' : keyType.replace(/^ssh-/, '');
	const argv = ['ssh-keyscan', '-H', ...(port === 22 ? [] : ['-p', String(port)]), ...(type ? ['-t', type] : []), host];
	return `check the fingerprint out of band, then run: ${quoteArgv(argv)} >> ${quoteShellArg(path)}`;
}
