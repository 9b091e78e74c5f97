import type {MemberInfo} from '../etcd/types.js';
import {isShownEscaped} from '../model/visible-text.js';
import {quotePrintedArgv} from '../ssh/quote.js';
import {sameUrl} from './member-urls.js';

/**
 * What every etcdctl line needs to reach the cluster: the TLS files etcdtop connected with and the user
 * (config/printed-client.ts etcdctlConnectionOf, from the Config). Never a password: the log and the screen show these.
 */
export interface EtcdctlBase {
	readonly endpoints: readonly string[];
	readonly cacert?: string;
	readonly cert?: string;
	readonly key?: string;
	readonly user?: string;
}

function base(connection: EtcdctlBase, endpoints = connection.endpoints): string[] {
	const flags = (['cacert', 'cert', 'key', 'user'] as const).flatMap(name => (connection[name] ? [`--${name}=${connection[name]}`] : []));
	return ['etcdctl', `--endpoints=${endpoints.join(',')}`, ...flags];
}

export const etcdctl = {
	memberList: (c: EtcdctlBase) => [...base(c), 'member', 'list', '-w', 'table'],
	endpointStatus: (c: EtcdctlBase) => [...base(c), 'endpoint', 'status', '--cluster', '-w', 'table'],
	endpointHealth: (c: EtcdctlBase) => [...base(c), 'endpoint', 'health', '--cluster'],
	memberRemove: (c: EtcdctlBase, id: string) => [...base(c), 'member', 'remove', id],
	memberAdd: (c: EtcdctlBase, name: string, peerUrls: readonly string[], isLearner: boolean) => [
		...base(c),
		'member',
		'add',
		name,
		`--peer-urls=${peerUrls.join(',')}`,
		...(isLearner ? ['--learner'] : []),
	],
	memberPromote: (c: EtcdctlBase, id: string) => [...base(c), 'member', 'promote', id],
	/** etcdctl sends move-leader to the leader among --endpoints, so the leader's endpoint is given. */
	moveLeader: (c: EtcdctlBase, leaderEndpoints: readonly string[], id: string) => [...base(c, leaderEndpoints.length > 0 ? leaderEndpoints : c.endpoints), 'move-leader', id],
	/** Health of the members named (not --cluster): the voters a workflow reads from. */
	endpointHealthOf: (c: EtcdctlBase, endpoints: readonly string[]) => [...base(c, endpoints), 'endpoint', 'health'],
	defrag: (c: EtcdctlBase, endpoint: string, timeoutMs: number) => [...base(c, [endpoint]), `--command-timeout=${Math.ceil(timeoutMs / 1000)}s`, 'defrag'],
	compact: (c: EtcdctlBase, endpoint: string, revision: number) => [...base(c, [endpoint]), 'compact', String(revision), '--physical'],
	/** etcdctl's `alarm disarm` clears every alarm; etcdtop deactivates the NOSPACE ones only (disarmCommand says so). */
	alarmDisarm: (c: EtcdctlBase, endpoint: string) => [...base(c, [endpoint]), 'alarm', 'disarm'],
} as const;

/**
 * An etcdctl line (or any command) as printed and logged: the one quoting for a person to paste
 * (quotePrintedArgv), so a member name with control or bidi characters is visible on screen as `$'…\x1b…'`
 * and is the real name when pasted.
 */
export function commandText(argv: readonly string[]): string {
	return quotePrintedArgv(argv, isShownEscaped);
}

/** A word YAML reads back as this very string when written plain: an etcd flag of safe characters, never a `key:`. */
const plainYamlFlag = /^--[A-Za-z0-9-]+(=[A-Za-z0-9_@%+=:,./-]*)?$/;

/**
 * An item of a kubeadm static pod's `command:` list as a person copies it: plain when it is a flag of safe
 * characters, else a YAML double-quoted scalar whose escapes show a control or bidi character (`\x1b`,
 * `\u202e`, as the screen shows them elsewhere) and parse back to the exact characters.
 */
export function printedYamlScalar(value: string): string {
	if (plainYamlFlag.test(value) && !value.endsWith(':')) return value;
	const body = [...value]
		.map(char => {
			if (char === '\\' || char === '"') return `\\${char}`;
			if (char === '\n') return '\\n';
			if (char === '\t') return '\\t';
			if (!isShownEscaped(char)) return char;
			const code = char.codePointAt(0)!;
			return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
		})
		.join('');
	return `"${body}"`;
}

/** The disarm's line as shown and logged: etcdctl would clear every alarm, etcdtop clears NOSPACE. */
export function disarmCommand(connection: EtcdctlBase, endpoint: string): string {
	return `${commandText(etcdctl.alarmDisarm(connection, endpoint))}   # NOSPACE only`;
}

/**
 * How the new member must be started. `env` is what `etcdctl member add` prints (ETCD_NAME,
 * ETCD_INITIAL_CLUSTER, ETCD_INITIAL_ADVERTISE_PEER_URLS, ETCD_INITIAL_CLUSTER_STATE), the environment a
 * --start-command gets: etcd 3.4 and 3.5 exit ("conflicting environment variable ... is shadowed") when a
 * variable and its flag are both set, and start commands pass their own URL flags. `urlFlags` are the
 * listen/advertise URLs as flags; `flags` is everything as flags.
 */
export interface StartSettings {
	readonly env: Readonly<Record<string, string>>;
	readonly urlFlags: readonly string[];
	readonly flags: readonly string[];
	/** For the `command:` list of a kubeadm static pod (/etc/kubernetes/manifests/etcd.yaml). */
	readonly manifestLines: readonly string[];
	readonly warnings: readonly string[];
}

function isIpHost(url: string): boolean {
	try {
		const host = new URL(url).hostname;
		return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[') || host === 'localhost';
	} catch {
		return false;
	}
}

/**
 * ETCD_INITIAL_CLUSTER lists every member by name and peer URL, the new one under its new name (it has
 * none in the member list until it starts), as `etcdctl member add` prints it.
 */
export function startSettings(members: readonly MemberInfo[], newMember: {readonly name: string; readonly peerUrls: readonly string[]; readonly clientUrls: readonly string[]}): StartSettings {
	const entries: string[] = [];
	let hasNew = false;
	for (const member of members) {
		const isNew = member.peerUrls.some(url => newMember.peerUrls.some(peer => sameUrl(url, peer)));
		hasNew ||= isNew;
		for (const url of member.peerUrls) entries.push(`${isNew ? newMember.name : member.name}=${url}`);
	}
	if (!hasNew) for (const url of newMember.peerUrls) entries.push(`${newMember.name}=${url}`);
	const env: Record<string, string> = {
		ETCD_NAME: newMember.name,
		ETCD_INITIAL_CLUSTER: entries.join(','),
		ETCD_INITIAL_ADVERTISE_PEER_URLS: newMember.peerUrls.join(','),
		ETCD_INITIAL_CLUSTER_STATE: 'existing',
	};
	const warnings = ['the data dir on the new host must be empty (or absent): a data dir from an earlier member would make it rejoin with a stale identity'];
	const urls: Record<string, string> = {};
	// etcd listens only on IP addresses; a DNS name in a URL is for advertising.
	if (newMember.peerUrls.every(isIpHost)) urls['ETCD_LISTEN_PEER_URLS'] = newMember.peerUrls.join(',');
	else warnings.push('set --listen-peer-urls to the IP address(es) behind the peer URL');
	if (newMember.clientUrls.length > 0) {
		urls['ETCD_ADVERTISE_CLIENT_URLS'] = newMember.clientUrls.join(',');
		if (newMember.clientUrls.every(isIpHost)) urls['ETCD_LISTEN_CLIENT_URLS'] = newMember.clientUrls.join(',');
	} else {
		warnings.push('no --new-client-url: set --advertise-client-urls and --listen-client-urls for the new member yourself');
	}
	if (entries.some(entry => entry.startsWith('='))) warnings.push('a member without a name (added but never started) is in the list: start it, or remove it, before this one');
	const asFlags = (settings: Record<string, string>) => Object.entries(settings).map(([name, value]) => `--${name.slice('ETCD_'.length).toLowerCase().replaceAll('_', '-')}=${value}`);
	const urlFlags = asFlags(urls);
	const flags = [...asFlags(env), ...urlFlags];
	return {env, urlFlags, flags, manifestLines: flags.map(flag => `    - ${printedYamlScalar(flag)}`), warnings};
}

/** The operator's start command runs through `sh -c` so it may be any shell line; it travels as one quoted argument. */
export function startCommandArgv(command: string): readonly string[] {
	return ['sh', '-c', command];
}

/** The `--etcd-servers` value for kube-apiservers after the change: every started member's client URLs. */
export function etcdServers(members: readonly MemberInfo[]): string {
	return members.flatMap(member => member.clientUrls).join(',');
}
