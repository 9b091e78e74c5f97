import type {MemberInfo} from '../etcd/types.js';

/** A rejected input, named the way the operator typed it, with the fix. The command turns it into a ConfigError. */
export interface InputProblem {
	readonly input: string;
	readonly problem: string;
	readonly fix: string;
}

const urlFix = 'use scheme://host:port with http or https and an explicit port, e.g. https://10.0.0.4:2380';

/** One peer or client URL -> `scheme://host:port`, or the problem with it. */
export function normalizeMemberUrl(raw: string, input: string): string | InputProblem {
	const text = raw.trim();
	if (text === '') return {input, problem: 'the URL is empty', fix: urlFix};
	if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return {input, problem: `"${text}" has no scheme`, fix: urlFix};
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return {input, problem: `"${text}" is not a valid URL`, fix: urlFix};
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') return {input, problem: `"${text}" uses ${url.protocol.slice(0, -1)}; etcd peers speak http or https`, fix: urlFix};
	if (url.hostname === '') return {input, problem: `"${text}" has no host`, fix: urlFix};
	if (url.port === '') return {input, problem: `"${text}" has no port`, fix: urlFix};
	if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
		return {input, problem: `"${text}" has more than scheme, host and port`, fix: urlFix};
	}
	return `${url.protocol}//${url.host}`;
}

/** A comma-separated list of URLs (etcdctl's --peer-urls form), normalized, without repeats. */
export function parseMemberUrls(list: string, input: string): readonly string[] | InputProblem {
	const urls: string[] = [];
	for (const item of list.split(',')) {
		const url = normalizeMemberUrl(item, input);
		if (typeof url !== 'string') return url;
		if (!urls.includes(url)) urls.push(url);
	}
	return urls;
}

export function isInputProblem(value: unknown): value is InputProblem {
	return typeof value === 'object' && value !== null && 'problem' in value && 'input' in value;
}

/** URLs compare by scheme, host and port; hosts case-insensitively. */
export function sameUrl(a: string, b: string): boolean {
	try {
		const left = new URL(a);
		const right = new URL(b);
		return left.protocol === right.protocol && left.host.toLowerCase() === right.host.toLowerCase();
	} catch {
		return a === b;
	}
}

export function sharesUrl(a: readonly string[], b: readonly string[]): boolean {
	return a.some(left => b.some(right => sameUrl(left, right)));
}

/** Member names as etcd stores them are free text; these are the ones that survive ETCD_INITIAL_CLUSTER and a shell. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Checks a new member against the cluster: name well formed and not taken, no URL already used by another
 * member (as peer or client URL). `leaving` members (the one a replacement removes first) do not count.
 */
export function checkNewMember(
	candidate: {readonly name: string; readonly peerUrls: readonly string[]; readonly clientUrls: readonly string[]; readonly nameInput: string; readonly peerInput: string; readonly clientInput: string},
	members: readonly MemberInfo[],
	leavingIds: readonly string[] = [],
): InputProblem | undefined {
	if (!namePattern.test(candidate.name)) {
		return {input: candidate.nameInput, problem: `"${candidate.name}" is not a usable member name`, fix: 'use letters, digits, ".", "_" and "-", starting with a letter or digit'};
	}
	const others = members.filter(member => !leavingIds.includes(member.id));
	const sameName = others.find(member => member.name === candidate.name);
	if (sameName) return {input: candidate.nameInput, problem: `member ${sameName.id} is already named "${candidate.name}"`, fix: 'choose a name no other member has'};
	for (const member of others) {
		const taken = [...member.peerUrls, ...member.clientUrls];
		const clash = candidate.peerUrls.find(url => taken.some(used => sameUrl(url, used)));
		if (clash) return {input: candidate.peerInput, problem: `${clash} is already used by member ${member.name || member.id}`, fix: 'give the new member its own host:port'};
		const clientClash = candidate.clientUrls.find(url => taken.some(used => sameUrl(url, used)));
		if (clientClash) return {input: candidate.clientInput, problem: `${clientClash} is already used by member ${member.name || member.id}`, fix: 'give the new member its own host:port'};
	}
	const crossed = candidate.clientUrls.find(url => candidate.peerUrls.some(peer => sameUrl(peer, url)));
	if (crossed) return {input: candidate.clientInput, problem: `${crossed} is also the new member's peer URL`, fix: 'peer and client URLs need different ports'};
	return undefined;
}
