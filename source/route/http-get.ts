import {Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions} from 'node:http';
import {Agent as HttpsAgent, request as httpsRequest, type RequestOptions as HttpsRequestOptions} from 'node:https';
import {isIP} from 'node:net';
import {checkServerIdentity, type PeerCertificate} from 'node:tls';
import {ClassifiedError} from '../etcd/errors.js';
import type {ConnectOptions} from '../etcd/member-client.js';

/** A member's HTTP answer. Any status is an answer (/health says 503 when unhealthy); the caller judges it. */
export interface HttpAnswer {
	readonly status: number;
	/** The body as text (decoded when first read). */
	readonly body: string;
	/** The body as it arrived, undecoded, in pieces (a /metrics parser reads these without joining them). */
	readonly bytes?: readonly Uint8Array[];
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

/**
 * Connections are kept open between requests (/metrics is read every few seconds): no new TCP (and
 * TLS) handshake per read. An idle socket is unreferenced (it never holds the process open) and closed
 * after `idleMs`, well inside etcd's own idle limit (its HTTP server's 5 min read timeout); one that
 * closes or fails while idle leaves the pool (a tunnel that dropped takes its sockets with it).
 */
const idleMs = 30_000;
const keepAlive = {keepAlive: true, maxFreeSockets: 1, timeout: idleMs, scheduling: 'lifo'} as const;
const plainAgent = new HttpAgent(keepAlive);
// One pool per set of TLS options (the CA and client certificate of a config) and URL host: a kept
// socket was verified for that host (checkServerIdentity runs once per connection) and is reused for
// it only, even where two hosts are dialled at one address (an IP has no SNI to tell them apart).
const tlsAgents = new WeakMap<object, Map<string, HttpsAgent>>();
const noTlsOptions = {};

function tlsAgentFor(tls: ConnectOptions['tls'], host: string): HttpsAgent {
	let byHost = tlsAgents.get(tls ?? noTlsOptions);
	if (!byHost) {
		byHost = new Map();
		tlsAgents.set(tls ?? noTlsOptions, byHost);
	}
	let agent = byHost.get(host);
	if (!agent) {
		agent = new HttpsAgent(keepAlive);
		byHost.set(host, agent);
	}
	return agent;
}

/** Bodies already decoded, by answer. */
const decodedBodies = new WeakMap<HttpAnswer, string>();

/** `body` of every answer: decoded from its pieces when first read. */
function decodeBody(this: HttpAnswer & {readonly bytes: readonly Buffer[]}): string {
	let text = decodedBodies.get(this);
	if (text === undefined) {
		text = (this.bytes.length === 1 ? this.bytes[0]! : Buffer.concat(this.bytes)).toString('utf8');
		decodedBodies.set(this, text);
	}
	return text;
}

/**
 * The answer object: the body is decoded only if someone reads it as text. Its getter is one function
 * for every answer: a getter written in the object literal is a new closure per answer, which gives each
 * answer a hidden class of its own, and V8 keeps those in the old generation: the closure and with it
 * every piece of the body stayed until the next full collection, which promoted every /metrics answer
 * (~150 KB per member per read) and grew the console's memory by ~10 MB a minute between them.
 */
function answerOf(status: number, bytes: readonly Buffer[]): HttpAnswer {
	const answer = {status} as HttpAnswer;
	Object.defineProperty(answer, 'body', {get: decodeBody, enumerable: true});
	// Not enumerable: an answer compares equal to {status, body}.
	return Object.defineProperty(answer, 'bytes', {value: bytes, enumerable: false});
}

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
 * keep the URL's real host. The connection is kept for the next request to the same place; a kept one
 * that the server had closed (ECONNRESET on reuse) is replaced once. Rejects with a ClassifiedError for
 * its own deadline and size bound, with the signal's reason on abort, else with the socket's error as
 * Node raised it (routes.ts classifies it, knowing the route).
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
		// No Accept-Encoding: gzip costs this side more CPU (inflating ~150 KB) than reading it plain on loopback.
		headers: {host: url.host, accept: 'text/plain, application/json;q=0.9, */*;q=0.8'},
		agent: plainAgent,
	};
	const isSkippingVerify = tls?.isInsecureSkipVerify ?? false;
	const secure: HttpsRequestOptions = {
		...base,
		...(tls?.ca ? {ca: tls.ca} : {}),
		...(tls?.cert ? {cert: tls.cert} : {}),
		...(tls?.key ? {key: tls.key} : {}),
		agent: tlsAgentFor(tls, url.host),
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
			if (isSettled) {
				response.destroy();
				return;
			}
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
			response.once('end', () => settle(() => resolve(answerOf(response.statusCode ?? 0, chunks))));
		};
		const send = (isRetry: boolean) => {
			request = isHttps ? httpsRequest(secure, onResponse) : httpRequest(base, onResponse);
			request.once('error', (error: NodeJS.ErrnoException) => {
				// A kept connection the server closed while it sat idle: the request never reached it.
				if (!isRetry && !isSettled && request.reusedSocket && error.code === 'ECONNRESET') send(true);
				else fail(error);
			});
			request.end();
		};
		send(false);
	});
}
