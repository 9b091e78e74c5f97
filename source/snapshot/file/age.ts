import {
	createCipheriv,
	createDecipheriv,
	createHmac,
	createPrivateKey,
	createPublicKey,
	diffieHellman,
	generateKeyPairSync,
	hkdfSync,
	randomBytes,
	scryptSync,
	timingSafeEqual,
	type KeyObject,
} from 'node:crypto';
import {closeSync, fstatSync, readSync} from 'node:fs';
import {fileSource, openRegularFile, readFully, type FileSource} from './bbolt.js';

// The age v1 file format (age-encryption.org/v1), written with node:crypto only: X25519 and scrypt
// recipients, HKDF-SHA256, ChaCha20-Poly1305 in 64 KiB STREAM chunks. The standard `age` tool decrypts
// what this writes, and this reads what it writes; the e2e tests hold both directions to that.

const intro = 'age-encryption.org/v1\n';
const chunkSize = 64 * 1024;
const tagSize = 16;
const sealedChunkSize = chunkSize + tagSize;
const payloadNonceSize = 16;
const fileKeySize = 16;
/** age's default scrypt work factor; decryption refuses more than maxLogN, which would need > 1 GiB. */
export const defaultScryptLogN = 18;
const maxLogN = 20;

export class AgeError extends Error {
	override name = 'AgeError';
}

/** The keys given cannot open the file (no identity or passphrase fits, or an identity file is not one): the operator's to fix. */
export class AgeKeyError extends AgeError {
	override name = 'AgeKeyError';
}

// --- bech32 (BIP 173 checksum; age lifts the 90-character limit) ---------------------------------------

const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
	let check = 1;
	for (const value of values) {
		const top = check >>> 25;
		check = (((check & 0x1ffffff) << 5) ^ value) >>> 0;
		for (let bit = 0; bit < 5; bit++) if ((top >>> bit) & 1) check = (check ^ generator[bit]!) >>> 0;
	}
	return check;
}

function hrpExpand(hrp: string): number[] {
	const codes = [...hrp].map(char => char.charCodeAt(0));
	return [...codes.map(code => code >>> 5), 0, ...codes.map(code => code & 31)];
}

function convertBits(data: readonly number[], from: number, to: number, isPadding: boolean): number[] | undefined {
	let accumulator = 0;
	let bits = 0;
	const out: number[] = [];
	const mask = (1 << to) - 1;
	for (const value of data) {
		accumulator = (accumulator << from) | value;
		bits += from;
		while (bits >= to) {
			bits -= to;
			out.push((accumulator >>> bits) & mask);
		}
		accumulator &= (1 << bits) - 1;
	}
	if (isPadding) {
		if (bits > 0) out.push((accumulator << (to - bits)) & mask);
	} else if (bits >= from || ((accumulator << (to - bits)) & mask) !== 0) {
		return undefined;
	}
	return out;
}

export function bech32Encode(hrp: string, data: Uint8Array): string {
	const words = convertBits([...data], 8, 5, true)!;
	const check = polymod([...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
	const checksum = [0, 1, 2, 3, 4, 5].map(index => (check >>> (5 * (5 - index))) & 31);
	return `${hrp}1${[...words, ...checksum].map(word => charset[word]).join('')}`;
}

export function bech32Decode(text: string): {hrp: string; data: Buffer} | undefined {
	if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
	const lower = text.toLowerCase();
	const separator = lower.lastIndexOf('1');
	if (separator < 1 || lower.length - separator - 1 < 6) return undefined;
	const hrp = lower.slice(0, separator);
	const words: number[] = [];
	for (const char of lower.slice(separator + 1)) {
		const word = charset.indexOf(char);
		if (word === -1) return undefined;
		words.push(word);
	}
	if (polymod([...hrpExpand(hrp), ...words]) !== 1) return undefined;
	const bytes = convertBits(words.slice(0, -6), 5, 8, false);
	return bytes ? {hrp, data: Buffer.from(bytes)} : undefined;
}

// --- keys ---------------------------------------------------------------------------------------------

const pkcs8Prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');
const spkiPrefix = Buffer.from('302a300506032b656e032100', 'hex');

function privateKeyOf(secret: Buffer): KeyObject {
	return createPrivateKey({key: Buffer.concat([pkcs8Prefix, secret]), format: 'der', type: 'pkcs8'});
}

function publicKeyOf(raw: Buffer): KeyObject {
	return createPublicKey({key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki'});
}

function rawPublic(key: KeyObject): Buffer {
	return (key.export({format: 'der', type: 'spki'}) as Buffer).subarray(spkiPrefix.length);
}

/** `age1…` -> the 32-byte X25519 public key; undefined when it is not one. */
export function parseRecipient(text: string): Buffer | undefined {
	const decoded = bech32Decode(text.trim());
	if (!decoded || decoded.hrp !== 'age' || decoded.data.length !== 32 || text.trim() !== text.trim().toLowerCase()) return undefined;
	return decoded.data;
}

/** The secret keys in an identity file (`age-keygen` output): AGE-SECRET-KEY-1… lines; # comments skipped. */
export function parseIdentities(text: string): Buffer[] {
	const keys: Buffer[] = [];
	for (const [index, raw] of text.split('\n').entries()) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) continue;
		const decoded = bech32Decode(line);
		if (!decoded || decoded.hrp !== 'age-secret-key-' || decoded.data.length !== 32 || line !== line.toUpperCase()) {
			throw new AgeKeyError(`line ${index + 1} is not an age X25519 identity (AGE-SECRET-KEY-1…)`);
		}
		keys.push(decoded.data);
	}
	if (keys.length === 0) throw new AgeKeyError('no identity (AGE-SECRET-KEY-1…) in the file');
	return keys;
}

/** A new key pair, as `age-keygen` makes one: [identity line, recipient]. */
export function generateIdentity(): {identity: string; recipient: string} {
	const {privateKey, publicKey} = generateKeyPairSync('x25519');
	const secret = (privateKey.export({format: 'der', type: 'pkcs8'}) as Buffer).subarray(pkcs8Prefix.length);
	return {identity: bech32Encode('age-secret-key-', secret).toUpperCase(), recipient: bech32Encode('age', rawPublic(publicKey))};
}

export type AgeRecipient = {readonly kind: 'x25519'; readonly publicKey: Buffer} | {readonly kind: 'scrypt'; readonly passphrase: string; readonly logN?: number};
export type AgeIdentity = {readonly kind: 'x25519'; readonly secretKey: Buffer} | {readonly kind: 'scrypt'; readonly passphrase: string};

// --- header -------------------------------------------------------------------------------------------

const b64 = (data: Uint8Array) => Buffer.from(data).toString('base64').replace(/=+$/, '');

function fromB64(text: string): Buffer {
	if (!/^[A-Za-z0-9+/]*$/.test(text)) throw new AgeError('malformed base64 in the header');
	return Buffer.from(text, 'base64');
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
	return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

function seal(key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
	const cipher = createCipheriv('chacha20-poly1305', key, nonce, {authTagLength: tagSize});
	const out = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
	return out;
}

function open(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
	if (sealed.length < tagSize) return undefined;
	const decipher = createDecipheriv('chacha20-poly1305', key, nonce, {authTagLength: tagSize});
	decipher.setAuthTag(sealed.subarray(sealed.length - tagSize));
	try {
		return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - tagSize)), decipher.final()]);
	} catch {
		return undefined;
	}
}

const zeroNonce = Buffer.alloc(12);

function wrapBody(body: Buffer): string {
	const text = b64(body);
	const lines: string[] = [];
	for (let at = 0; at < text.length; at += 64) lines.push(text.slice(at, at + 64));
	// The last body line is shorter than 64 columns: an exact multiple ends with an empty line.
	if (text.length % 64 === 0) lines.push('');
	return lines.map(line => `${line}\n`).join('');
}

function stanzaFor(recipient: AgeRecipient, fileKey: Buffer): string {
	if (recipient.kind === 'x25519') {
		const {privateKey, publicKey} = generateKeyPairSync('x25519');
		const ephemeral = rawPublic(publicKey);
		const shared = diffieHellman({privateKey, publicKey: publicKeyOf(recipient.publicKey)});
		if (shared.every(byte => byte === 0)) throw new AgeError('the recipient is a low-order point');
		const wrapKey = hkdf(shared, Buffer.concat([ephemeral, recipient.publicKey]), 'age-encryption.org/v1/X25519');
		return `-> X25519 ${b64(ephemeral)}\n${wrapBody(seal(wrapKey, zeroNonce, fileKey))}`;
	}
	const logN = recipient.logN ?? defaultScryptLogN;
	const salt = randomBytes(16);
	const key = scryptKey(recipient.passphrase, salt, logN);
	return `-> scrypt ${b64(salt)} ${logN}\n${wrapBody(seal(key, zeroNonce, fileKey))}`;
}

function scryptKey(passphrase: string, salt: Buffer, logN: number): Buffer {
	const N = 2 ** logN;
	return scryptSync(passphrase.normalize('NFC'), Buffer.concat([Buffer.from('age-encryption.org/v1/scrypt'), salt]), 32, {N, r: 8, p: 1, maxmem: 128 * 8 * N + 64 * 1024 * 1024});
}

function headerMac(fileKey: Buffer, headerUpToDashes: Buffer): Buffer {
	return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(headerUpToDashes).digest();
}

export function buildHeader(fileKey: Buffer, recipients: readonly AgeRecipient[]): Buffer {
	if (recipients.length === 0) throw new AgeError('at least one recipient is needed');
	if (recipients.some(recipient => recipient.kind === 'scrypt') && recipients.length > 1) {
		throw new AgeError('a passphrase cannot be combined with other recipients');
	}
	const upToDashes = Buffer.from(`${intro}${recipients.map(recipient => stanzaFor(recipient, fileKey)).join('')}---`);
	return Buffer.concat([upToDashes, Buffer.from(` ${b64(headerMac(fileKey, upToDashes))}\n`)]);
}

interface Stanza {
	readonly type: string;
	readonly args: readonly string[];
	readonly body: Buffer;
}

export interface ParsedHeader {
	readonly stanzas: readonly Stanza[];
	readonly upToDashes: Buffer;
	readonly mac: Buffer;
	/** Bytes of the header, where the payload nonce starts. */
	readonly length: number;
}

/** Parses the text header at the start of `data` (the first few KiB of a file suffice). */
export function parseHeader(data: Buffer): ParsedHeader {
	if (!data.subarray(0, intro.length).equals(Buffer.from(intro))) throw new AgeError('not an age file (no age-encryption.org/v1 header)');
	let at = intro.length;
	const nextLine = (): string => {
		const end = data.indexOf(0x0a, at);
		if (end === -1) throw new AgeError('the age header is truncated');
		const line = data.subarray(at, end).toString('latin1');
		at = end + 1;
		return line;
	};
	const stanzas: Stanza[] = [];
	for (;;) {
		const lineStart = at;
		const line = nextLine();
		if (line.startsWith('--- ')) {
			return {stanzas, upToDashes: data.subarray(0, lineStart + 3), mac: fromB64(line.slice(4)), length: at};
		}
		if (!line.startsWith('-> ')) throw new AgeError('malformed age header');
		const [type, ...args] = line.slice(3).split(' ');
		let body = '';
		for (;;) {
			const bodyLine = nextLine();
			if (bodyLine.length > 64) throw new AgeError('malformed age header');
			body += bodyLine;
			if (bodyLine.length < 64) break;
		}
		stanzas.push({type: type ?? '', args, body: fromB64(body)});
	}
}

/** The file key, unwrapped by the first identity that opens a stanza; checked against the header MAC. */
export function unwrapFileKey(header: ParsedHeader, identities: readonly AgeIdentity[]): Buffer {
	const hasScrypt = header.stanzas.some(stanza => stanza.type === 'scrypt');
	if (hasScrypt && header.stanzas.length > 1) throw new AgeError('an scrypt stanza must be the only one');
	for (const identity of identities) {
		for (const stanza of header.stanzas) {
			let fileKey: Buffer | undefined;
			if (identity.kind === 'x25519' && stanza.type === 'X25519' && stanza.args.length === 1) {
				const ephemeral = fromB64(stanza.args[0]!);
				if (ephemeral.length !== 32) continue;
				const privateKey = privateKeyOf(identity.secretKey);
				const shared = diffieHellman({privateKey, publicKey: publicKeyOf(ephemeral)});
				const wrapKey = hkdf(shared, Buffer.concat([ephemeral, rawPublic(createPublicKey(privateKey))]), 'age-encryption.org/v1/X25519');
				fileKey = open(wrapKey, zeroNonce, stanza.body);
			} else if (identity.kind === 'scrypt' && stanza.type === 'scrypt' && stanza.args.length === 2) {
				const salt = fromB64(stanza.args[0]!);
				const logN = Number(stanza.args[1]);
				if (!/^[1-9][0-9]?$/.test(stanza.args[1]!) || salt.length !== 16) throw new AgeError('malformed scrypt stanza');
				if (logN > maxLogN) throw new AgeError(`the passphrase's work factor 2^${logN} is above the 2^${maxLogN} this tool accepts`);
				fileKey = open(scryptKey(identity.passphrase, salt, logN), zeroNonce, stanza.body);
			}
			if (fileKey && fileKey.length === fileKeySize) {
				if (!timingSafeEqual(headerMac(fileKey, header.upToDashes), header.mac.length === 32 ? header.mac : Buffer.alloc(32))) {
					throw new AgeError('the age header MAC does not match: the file was altered');
				}
				return fileKey;
			}
		}
	}
	const kinds = [...new Set(header.stanzas.map(stanza => stanza.type))].join(', ');
	throw new AgeKeyError(hasScrypt ? 'the passphrase does not decrypt this file' : `no given identity decrypts this file (it is encrypted to: ${kinds})`);
}

function chunkNonce(counter: number, isLast: boolean): Buffer {
	const nonce = Buffer.alloc(12);
	nonce.writeUIntBE(counter, 5, 6);
	nonce[11] = isLast ? 1 : 0;
	return nonce;
}

/**
 * Encrypts a stream: push() plaintext as it arrives and write what `emit` receives, in order (the header
 * and nonce come first); end() seals the last chunk. Memory: one 64 KiB chunk.
 */
export class AgeEncryptor {
	readonly fileKey = randomBytes(fileKeySize);
	private readonly payloadKey: Buffer;
	private readonly start: Buffer;
	private isStarted = false;
	private readonly pending = Buffer.allocUnsafe(chunkSize);
	private pendingBytes = 0;
	private counter = 0;

	constructor(recipients: readonly AgeRecipient[]) {
		const nonce = randomBytes(payloadNonceSize);
		this.start = Buffer.concat([buildHeader(this.fileKey, recipients), nonce]);
		this.payloadKey = hkdf(this.fileKey, nonce, 'payload');
	}

	push(data: Buffer, emit: (bytes: Buffer) => void): void {
		this.begin(emit);
		for (let at = 0; at < data.length; ) {
			// A full chunk is sealed only once more data arrives: the last chunk carries the final flag.
			if (this.pendingBytes === chunkSize) this.sealChunk(false, emit);
			const count = data.copy(this.pending, this.pendingBytes, at);
			this.pendingBytes += count;
			at += count;
		}
	}

	end(emit: (bytes: Buffer) => void): void {
		this.begin(emit);
		this.sealChunk(true, emit);
	}

	private begin(emit: (bytes: Buffer) => void): void {
		if (this.isStarted) return;
		this.isStarted = true;
		emit(this.start);
	}

	private sealChunk(isLast: boolean, emit: (bytes: Buffer) => void): void {
		emit(seal(this.payloadKey, chunkNonce(this.counter++, isLast), this.pending.subarray(0, this.pendingBytes)));
		this.pendingBytes = 0;
	}
}

/** Whether a file starts like an age file (reads 22 bytes). */
export function isAgeFile(path: string): boolean {
	const fd = openRegularFile(path);
	try {
		const head = Buffer.alloc(intro.length);
		readSync(fd, head, 0, head.length, 0);
		return head.toString('latin1') === intro;
	} finally {
		closeSync(fd);
	}
}

export type AgeFileSource = FileSource;

/**
 * The plaintext of an age file as a random-access ByteSource: STREAM chunks are independently sealed, so
 * any chunk decrypts on its own. The bbolt reader and the sha256 check read snapshots through it without
 * a decrypted copy on disk; a few recent chunks are kept in memory.
 */
export function openAgeFileSource(path: string, key: {readonly fileKey: Buffer} | {readonly identities: readonly AgeIdentity[]}): AgeFileSource {
	const fd = openRegularFile(path);
	try {
		const fileSize = fstatSync(fd).size;
		const head = Buffer.alloc(Math.min(fileSize, 64 * 1024));
		readSync(fd, head, 0, head.length, 0);
		const header = parseHeader(head);
		const fileKey = 'fileKey' in key ? key.fileKey : unwrapFileKey(header, key.identities);
		if (!timingSafeEqual(headerMac(fileKey, header.upToDashes), header.mac.length === 32 ? header.mac : Buffer.alloc(32))) {
			throw new AgeError('the age header MAC does not match: the file was altered');
		}
		const nonce = head.subarray(header.length, header.length + payloadNonceSize);
		if (nonce.length !== payloadNonceSize) throw new AgeError('the age file is truncated (no payload)');
		const payloadKey = hkdf(fileKey, nonce, 'payload');
		const payloadStart = header.length + payloadNonceSize;
		const sealedBytes = fileSize - payloadStart;
		const chunks = Math.max(1, Math.ceil(sealedBytes / sealedChunkSize));
		const size = sealedBytes - chunks * tagSize;
		if (size < 0 || (chunks > 1 && sealedBytes - (chunks - 1) * sealedChunkSize <= tagSize)) throw new AgeError('the age payload is truncated');
		const cache = new Map<number, Buffer>();
		const sealed = Buffer.allocUnsafe(sealedChunkSize);
		const chunk = (index: number): Buffer => {
			const cached = cache.get(index);
			if (cached) return cached;
			const offset = payloadStart + index * sealedChunkSize;
			const length = Math.min(sealedChunkSize, fileSize - offset);
			const done = readFully(fd, sealed, 0, length, offset);
			const plain = open(payloadKey, chunkNonce(index, index === chunks - 1), sealed.subarray(0, done));
			if (!plain) throw new AgeError(`chunk ${index} of the encrypted payload fails authentication: the file is damaged or altered`);
			if (cache.size >= 32) cache.delete(cache.keys().next().value!);
			cache.set(index, plain);
			return plain;
		};
		const readInto = (target: Buffer, position: number): number => {
			const wanted = Math.max(0, Math.min(target.length, size - position));
			let done = 0;
			while (done < wanted) {
				const at = position + done;
				const index = Math.floor(at / chunkSize);
				done += chunk(index).copy(target, done, at - index * chunkSize, Math.min(chunkSize, at - index * chunkSize + wanted - done));
			}
			return done;
		};
		return fileSource(fd, size, readInto);
	} catch (error) {
		closeSync(fd);
		throw error;
	}
}
