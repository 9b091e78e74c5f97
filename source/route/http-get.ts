import {request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions} from 'node:http';
import {request as httpsRequest, type RequestOptions as HttpsRequestOptions} from 'node:https';
import {isIP} from 'node:net';
import {checkServerIdentity, type PeerCertificate} from 'node:tls';
import {ClassifiedError} from '../etcd/errors.js';
import type {ConnectOptions} from '../etcd/member-client.js';

/** A member's HTTP answer. Any status is an answer (/health says 503 when unhealthy); the caller judges it. */
export interface HttpAnswer {
	readonly status: number;
	readonly body: string;
}

export interface HttpGetOptions {
	/** The whole request, connect to last byte; past it the call fails with kind `timeout`. */
	readonly timeoutMs: number;
	/** Aborting rejects with the signal's reason. */
	readonly signal?: AbortSignal;
	/** A longer body fails (kind `error`) rather than filling memory. Default 32 MiB; etcd's /metrics is ~200 KB. */
	readonly maxBytes?: number;
}

/** Where the request is sent when not to the URL's own host: a tunnel's local port. */
export interface HttpDial {
	readonly host: string;
	readonly port: number;
}

const defaultMaxBytes = 32 * 1024 * 1024;

/** `endpointOrUrl` + `path` -> the URL to fetch: a path replaces the base's path, as a browser resolves it. */
export function httpUrlOf(endpointOrUrl: string, path: string): URL {
	let url: URL;
	try {
		url = new URL(path, endpointOrUrl);
	} catch {
		throw new ClassifiedError({kind: 'error', message: `"${endpointOrUrl}" with "${path}" is not a URL`});
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClassifiedError({kind: 'error', message: `${url.protocol.slice(0, -1)} is not http or https (${url.origin})`});
	return url;
}

/** The URL's host as TLS and the SSH host see it: no brackets around an IPv6 address. */
export function hostOf(url: URL): string {
	return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * One GET with the member's own TLS name and the client certificate and CA of the etcd calls, sent to
 * `dial` when given (the tunnel's 127.0.0.1:port) while the Host header, SNI and the certificate check
 * keep the URL's real host. No keep-alive: one socket per request, so a dropped tunnel never leaves a
 * dead pooled socket behind. Rejects with a ClassifiedError for its own deadline and size bound, with
 * the signal's reason on abort, else with the socket's error as Node raised it (routes.ts classifies it,
 * knowing the route).
 */
export async function httpGetText(url: URL, dial: HttpDial | undefined, tls: ConnectOptions['tls'], options: HttpGetOptions): Promise<HttpAnswer> {
	options.signal?.throwIfAborted();
	const host = hostOf(url);
	const isHttps = url.protocol === 'https:';
	const base: RequestOptions = {
		host: dial?.host ?? host,
		port: dial?.port ?? (url.port === '' ? (isHttps ? 443 : 80) : Number(url.port)),
		path: `${url.pathname}${url.search}`,
		method: 'GET',
		headers: {host: url.host, accept: 'text/plain, application/json;q=0.9, */*;q=0.8'},
		agent: false,
	};
	const isSkippingVerify = tls?.isInsecureSkipVerify ?? false;
	const secure: HttpsRequestOptions = {
		...base,
		...(tls?.ca ? {ca: tls.ca} : {}),
		...(tls?.cert ? {cert: tls.cert} : {}),
		...(tls?.key ? {key: tls.key} : {}),
		rejectUnauthorized: !isSkippingVerify,
		// SNI carries a name only (an IP there is what DEP0123 warns about); the check below covers IP SANs.
		servername: isIP(host) === 0 ? host : '',
		checkServerIdentity: (_dialled: string, certificate: PeerCertificate) => (isSkippingVerify ? undefined : checkServerIdentity(host, certificate)),
	};
	const maxBytes = options.maxBytes ?? defaultMaxBytes;
	return new Promise<HttpAnswer>((resolve, reject) => {
		let isSettled = false;
		let request: ClientRequest;
		const settle = (outcome: () => void) => {
			if (isSettled) return;
			isSettled = true;
			clearTimeout(timer);
			options.signal?.removeEventListener('abort', onAbort);
			outcome();
		};
		const fail = (error: unknown) => settle(() => reject(error));
		const timer = setTimeout(() => {
			const failure = new ClassifiedError({kind: 'timeout', message: `no answer from ${url.origin} within ${options.timeoutMs} ms`});
			fail(failure);
			request.destroy(failure);
		}, options.timeoutMs);
		const onAbort = () => {
			fail(options.signal!.reason);
			request.destroy();
		};
		options.signal?.addEventListener('abort', onAbort, {once: true});
		const onResponse = (response: IncomingMessage) => {
			const chunks: Buffer[] = [];
			let length = 0;
			response.on('data', (chunk: Buffer) => {
				length += chunk.length;
				if (length > maxBytes) {
					const tooLong = new ClassifiedError({kind: 'error', message: `${url.origin}${url.pathname} answered more than ${maxBytes} bytes`});
					fail(tooLong);
					response.destroy(tooLong);
					return;
				}
				chunks.push(chunk);
			});
			response.once('error', fail);
			response.once('aborted', () => fail(new Error('socket hang up')));
			response.once('end', () => settle(() => resolve({status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')})));
		};
		request = isHttps ? httpsRequest(secure, onResponse) : httpRequest(base, onResponse);
		request.once('error', fail);
		request.end();
	});
}
