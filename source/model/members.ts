import type {MemberInfo} from './types.js';

/**
 * The one "started" test. etcd lists an added member with its peer URLs only, and fills in its name and
 * client URLs together (one raft update) when it first starts; either one is enough to say it did.
 */
export function isStarted(member: Pick<MemberInfo, 'name' | 'clientUrls'>): boolean {
	return member.name !== '' || member.clientUrls.length > 0;
}

/** A hex member ID as written anywhere (0x prefix, upper case, leading zeros) -> etcd's own spelling; undefined: not hex. */
export function normalizeMemberId(text: string): string | undefined {
	const hex = text.trim().toLowerCase().replace(/^0x/, '');
	if (!/^[0-9a-f]+$/.test(hex)) return undefined;
	return hex.replace(/^0+(?=.)/, '');
}

/**
 * The one member lookup: NAME or hex ID -> member. An ID wins over a name (IDs are unique, names need not
 * be); a name two members share is 'ambiguous'. `exclude` skips one member (the new member when a
 * replacement reuses the failed one's name).
 */
export function findMember<M extends Pick<MemberInfo, 'id' | 'name'>>(members: readonly M[], nameOrId: string, exclude?: M): M | 'ambiguous' | undefined {
	const candidates = members.filter(member => member !== exclude);
	const id = normalizeMemberId(nameOrId);
	const byId = id === undefined ? undefined : candidates.find(member => normalizeMemberId(member.id) === id);
	if (byId) return byId;
	const wanted = nameOrId.trim();
	const byName = candidates.filter(member => member.name !== '' && member.name === wanted);
	if (byName.length > 1) return 'ambiguous';
	return byName[0];
}
