import {ConfigError} from './errors.js';

/**
 * etcdctl's endpoint forms: "host:port", "http://host:port", "https://host:port". A bare host:port
 * becomes https when TLS material was given, as etcdctl does.
 */
export function normalizeEndpoint(raw: string, input: string, isTls: boolean): string {
	const text = raw.trim();
	const fix = 'use host:port or http(s)://host:port, e.g. 127.0.0.1:2379';
	if (text === '') throw new ConfigError(input, 'an endpoint is empty', fix);
	const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${isTls ? 'https' : 'http'}://${text}`;
	let url: URL;
	try {
		url = new URL(withScheme);
	} catch {
		throw new ConfigError(input, `"${text}" is not a valid URL`, fix);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ConfigError(input, `"${text}" uses ${url.protocol.slice(0, -1)}, which etcdtop does not speak`, fix);
	}
	if (url.hostname === '') throw new ConfigError(input, `"${text}" has no host`, fix);
	// URL drops a scheme's default port (http://h:80 -> port ''), so the port is read from the text.
	const port = url.port !== '' ? url.port : /:(\d+)\/?$/.exec(text)?.[1];
	if (port === undefined) throw new ConfigError(input, `"${text}" has no port`, fix);
	if (Number(port) < 1 || Number(port) > 65_535) throw new ConfigError(input, `"${text}" has port ${port}, outside 1-65535`, fix);
	if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
		throw new ConfigError(input, `"${text}" has more than scheme, host and port`, fix);
	}
	return `${url.protocol}//${url.hostname}:${Number(port)}`;
}

export function parseEndpoints(list: string, input: string, isTls: boolean): readonly string[] {
	const endpoints = list.split(',').map(item => normalizeEndpoint(item, input, isTls));
	return [...new Set(endpoints)];
}
