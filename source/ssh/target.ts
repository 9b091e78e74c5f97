import {SshError} from './errors.js';

/** Where to SSH to, as the operator wrote it: `[user@]host[:port]`. Unset parts come from ~/.ssh/config. */
export interface SshTarget {
	readonly user?: string;
	readonly host: string;
	readonly port?: number;
}

const fix = 'use [user@]host[:port], e.g. admin@bastion.example.com:2222 or [fd00::1]:22';
// A leading "-" would read as an option to any ssh(1) an operator copies from our logs.
const userPattern = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const hostPattern = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const ipv6Pattern = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

export function parsePort(text: string, raw: string): number {
	if (!/^\d{1,5}$/.test(text)) throw new SshError('bad-target', `"${raw}" has an invalid port "${text}"`, fix);
	const port = Number(text);
	if (port < 1 || port > 65_535) throw new SshError('bad-target', `"${raw}" has port ${port}, outside 1-65535`, fix);
	return port;
}

/** `[user@]host[:port]`; an IPv6 address goes in brackets when a port follows (or always, to be safe). */
export function parseTarget(raw: string): SshTarget {
	const text = raw.trim();
	if (text === '') throw new SshError('bad-target', 'the SSH host is empty', fix);
	const at = text.lastIndexOf('@');
	const user = at === -1 ? undefined : text.slice(0, at);
	const rest = at === -1 ? text : text.slice(at + 1);
	if (user !== undefined && !userPattern.test(user)) throw new SshError('bad-target', `"${raw}" has an invalid user name`, fix);
	let host: string;
	let portText: string | undefined;
	if (rest.startsWith('[')) {
		const close = rest.indexOf(']');
		if (close === -1) throw new SshError('bad-target', `"${raw}" has "[" without "]"`, fix);
		host = rest.slice(1, close);
		const after = rest.slice(close + 1);
		if (after !== '' && !after.startsWith(':')) throw new SshError('bad-target', `"${raw}" has text after "]"`, fix);
		portText = after === '' ? undefined : after.slice(1);
		if (!ipv6Pattern.test(host) && !hostPattern.test(host)) throw new SshError('bad-target', `"${raw}" has an invalid host`, fix);
	} else {
		const colons = rest.split(':').length - 1;
		if (colons > 1) {
			// A bare IPv6 address: no port possible without brackets.
			host = rest;
			if (!ipv6Pattern.test(host)) throw new SshError('bad-target', `"${raw}" has an invalid host`, fix);
		} else {
			const colon = rest.indexOf(':');
			host = colon === -1 ? rest : rest.slice(0, colon);
			portText = colon === -1 ? undefined : rest.slice(colon + 1);
			if (!hostPattern.test(host)) throw new SshError('bad-target', `"${raw}" has an invalid host "${host}"`, fix);
		}
	}
	if (host === '') throw new SshError('bad-target', `"${raw}" has no host`, fix);
	const port = portText === undefined ? undefined : parsePort(portText, raw);
	return {...(user === undefined ? {} : {user}), host, ...(port === undefined ? {} : {port})};
}

/** Back to text, for messages and the command log. */
export function formatTarget(target: SshTarget): string {
	const host = target.host.includes(':') ? `[${target.host}]` : target.host;
	return `${target.user ? `${target.user}@` : ''}${host}${target.port ? `:${target.port}` : ''}`;
}

/**
 * `--ssh-host NAME=[user@]host[:port]` entries -> member name -> target. Member names are etcd's and
 * may hold anything but "=" is taken as the separator at its first occurrence.
 */
export function parseHostMap(entries: readonly string[]): ReadonlyMap<string, SshTarget> {
	const map = new Map<string, SshTarget>();
	for (const entry of entries) {
		const equals = entry.indexOf('=');
		if (equals <= 0) {
			throw new SshError('bad-target', `"${entry}" is not NAME=[user@]host[:port]`, 'e.g. --ssh-host etcd-1=admin@10.0.0.11');
		}
		const name = entry.slice(0, equals);
		if (map.has(name)) throw new SshError('bad-target', `member "${name}" is mapped twice`);
		map.set(name, parseTarget(entry.slice(equals + 1)));
	}
	return map;
}

/**
 * The host a member runs on, for remote commands: an explicit map entry wins, else the host of its
 * peer URL (peer URLs are the addresses members know each other by, so they name the machine).
 */
export function memberTarget(member: {readonly name: string; readonly peerUrls: readonly string[]}, map: ReadonlyMap<string, SshTarget> = new Map()): SshTarget {
	const mapped = map.get(member.name);
	if (mapped) return mapped;
	const [peerUrl] = member.peerUrls;
	if (peerUrl === undefined) throw new SshError('bad-target', `member "${member.name}" has no peer URL to find its host`, `map it with --ssh-host ${member.name}=host`);
	let hostname: string;
	try {
		hostname = new URL(peerUrl).hostname;
	} catch {
		throw new SshError('bad-target', `member "${member.name}" has an unreadable peer URL`, `map it with --ssh-host NAME=host`);
	}
	const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
	if (!hostPattern.test(host) && !ipv6Pattern.test(host)) throw new SshError('bad-target', `member "${member.name}" has a peer host that is not a host name`);
	return {host};
}
