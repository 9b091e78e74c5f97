import {createPrivateKey, X509Certificate, type KeyObject} from 'node:crypto';
import {ConfigError} from './errors.js';

// TLS files are read and parsed before anything connects: a wrong file is a usage error naming the flag
// and what is wrong, not an "unreachable" member with OpenSSL's words ("PEM routines::no start line").

const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function pemKinds(text: string): string[] {
	return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map(match => match[1]!);
}

/** What a file that is not what a flag wants holds instead, in words. */
function whatItHolds(text: string): string {
	const kinds = pemKinds(text);
	if (text.trim() === '') return 'is empty';
	if (kinds.length === 0) return 'is not a PEM file (no -----BEGIN line)';
	return `holds ${kinds.map(kind => kind.toLowerCase()).join(', ')}`;
}

function certificatesOf(pem: Buffer, input: string, path: string, fix: string): X509Certificate[] {
	const text = pem.toString('utf8');
	const blocks = text.match(certificateBlock) ?? [];
	if (blocks.length === 0) throw new ConfigError(input, `${path} is not a PEM certificate: it ${whatItHolds(text)}`, fix);
	return blocks.map((block, index) => {
		try {
			return new X509Certificate(block);
		} catch (error) {
			throw new ConfigError(input, `${path}: certificate ${index + 1} cannot be parsed (${(error as Error).message})`, fix);
		}
	});
}

function privateKeyOf(pem: Buffer, input: string, path: string): KeyObject {
	const text = pem.toString('utf8');
	const fix = 'give the unencrypted PEM private key of the client certificate';
	if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
		throw new ConfigError(input, `${path} is an encrypted private key, which etcd clients cannot use`, `decrypt it once: openssl pkey -in ${path} -out KEY.pem (keep it 0600)`);
	}
	if (!pemKinds(text).some(kind => kind.endsWith('PRIVATE KEY'))) throw new ConfigError(input, `${path} is not a PEM private key: it ${whatItHolds(text)}`, fix);
	try {
		return createPrivateKey(pem);
	} catch (error) {
		throw new ConfigError(input, `${path}: the private key cannot be parsed (${(error as Error).message})`, fix);
	}
}

export interface TlsFile {
	readonly input: string;
	readonly path: string;
	readonly pem: Buffer;
}

/** Checks the CA bundle, the client certificate and its key, and that the two belong together. */
export function checkTlsMaterial({ca, cert, key}: {readonly ca: TlsFile | undefined; readonly cert: TlsFile | undefined; readonly key: TlsFile | undefined}): void {
	if (ca) certificatesOf(ca.pem, ca.input, ca.path, 'give the PEM file of the CA that signed the members’ certificates (ca.crt)');
	if (cert && key) {
		const [leaf] = certificatesOf(cert.pem, cert.input, cert.path, 'give the PEM client certificate (e.g. healthcheck-client.crt)');
		const privateKey = privateKeyOf(key.pem, key.input, key.path);
		if (!leaf!.checkPrivateKey(privateKey)) {
			throw new ConfigError(`${cert.input} and ${key.input}`, `${cert.path} and ${key.path} do not match: the key is not the certificate's`, 'give the key that was issued with this certificate');
		}
	}
}
