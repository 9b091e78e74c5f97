import {classifyError, type FailureKind} from '../etcd/errors.js';
import {hashKvDeadlineMs, type HashKvResult} from '../etcd/maintenance.js';
import type {MemberInfo} from '../etcd/types.js';
import type {Observation} from '../model/observation.js';

/**
 * `etcdtop check consistency`: HashKV on every voter at one revision, the way etcd's own corruption check
 * compares members. The revision is the lowest current revision among the voters (each has applied it),
 * which is at or above every compact revision because compaction is itself a revision every member applies
 * in order. etcd hashes only above the compact revision; a cluster compacted at its current revision is
 * hashed at "current" (revision 0) and compared only when every voter hashed the same revision. Hashes are compared only between members that report the same compact revision: a compaction
 * landing between two answers changes what is hashed, so the check asks again rather than cry divergence.
 */
export interface MemberHash {
	readonly id: string;
	readonly name: string;
	readonly endpoint: string;
	readonly hash: number | undefined;
	readonly compactRevision: number | undefined;
	readonly revision: number | undefined;
	readonly failure: string | undefined;
	/** etcd/errors.ts's kind of the failure: 'compacted' is an answer (hash at "current" instead), not a member failing. */
	readonly failureKind?: FailureKind;
}

export type Verdict =
	| {readonly type: 'consistent'; readonly revision: number; readonly compactRevision: number; readonly members: readonly MemberHash[]; readonly skipped: readonly string[]}
	| {readonly type: 'diverged'; readonly revision: number; readonly compactRevision: number; readonly members: readonly MemberHash[]; readonly minority: readonly string[]; readonly skipped: readonly string[]}
	/** Not every voter could be compared (unreachable, or compactions kept racing the check). */
	| {readonly type: 'incomplete'; readonly revision: number | undefined; readonly message: string; readonly members: readonly MemberHash[]; readonly skipped: readonly string[]};

export interface ConsistencyIo {
	readonly observe: () => Promise<Observation>;
	readonly hashKv: (endpoint: string, revision: number, timeoutMs: number) => Promise<HashKvResult>;
}

const maxAttempts = 3;

/** The revision all voters hold: the lowest current revision among them. */
export function checkRevision(observation: Observation, voters: readonly MemberInfo[]): number | undefined {
	const revisions = voters.map(member => observation.statuses[member.id]?.revision).filter((revision): revision is number => revision !== undefined);
	return revisions.length === voters.length && revisions.length > 0 ? Math.min(...revisions) : undefined;
}

/** Compares one round of answers. */
export function judge(revision: number, answers: readonly MemberHash[], skipped: readonly string[]): Verdict | 'again' | 'at-current' {
	const failed = answers.filter(answer => answer.failure !== undefined);
	if (failed.length > 0) {
		// etcd hashes only above the compact revision: compacted right at the current revision, the members are
		// asked for their current revision (0) instead, and compared when they all answer for the same one.
		if (failed.some(answer => answer.failureKind === 'compacted')) return 'at-current';
		return {type: 'incomplete', revision, message: `no hash from ${failed.map(answer => `${answer.name || answer.id}: ${answer.failure}`).join('; ')}`, members: answers, skipped};
	}
	const compactRevisions = new Set(answers.map(answer => answer.compactRevision));
	if (compactRevisions.size > 1) return 'again';
	if (revision === 0) {
		const hashed = new Set(answers.map(answer => answer.revision));
		if (hashed.size > 1) return 'again';
		revision = answers[0]?.revision ?? 0;
	}
	const compactRevision = answers[0]?.compactRevision ?? 0;
	const byHash = new Map<number, MemberHash[]>();
	for (const answer of answers) byHash.set(answer.hash!, [...(byHash.get(answer.hash!) ?? []), answer]);
	if (byHash.size <= 1) return {type: 'consistent', revision, compactRevision, members: answers, skipped};
	// The largest group is taken as the cluster's; the others are named. A tie names every member.
	const groups = [...byHash.values()].sort((a, b) => b.length - a.length);
	const isTie = groups[0]!.length === groups[1]!.length;
	const minority = (isTie ? groups : groups.slice(1)).flat().map(answer => answer.name || answer.id);
	return {type: 'diverged', revision, compactRevision, members: answers, minority, skipped};
}

export async function checkConsistency(io: ConsistencyIo): Promise<Verdict> {
	let last: readonly MemberHash[] = [];
	let revision: number | undefined;
	let skipped: readonly string[] = [];
	let isAtCurrent = false;
	for (let attempt = 0; attempt < maxAttempts; attempt++) {
		const observation = await io.observe();
		const voters = observation.members.filter(member => !member.isLearner);
		skipped = observation.members.filter(member => member.isLearner).map(member => `${member.name || member.id}: learner (etcd serves HashKV from voters only)`);
		const missing = voters.filter(member => observation.statuses[member.id] === undefined);
		if (missing.length > 0) {
			return {
				type: 'incomplete',
				revision: undefined,
				message: `voter ${missing.map(member => `${member.name || member.id} does not answer (${observation.failures[member.id] ?? 'no answer'})`).join(', ')}: every voter must be compared`,
				members: [],
				skipped,
			};
		}
		revision = checkRevision(observation, voters)!;
		const at = isAtCurrent ? 0 : revision;
		last = await Promise.all(
			voters.map(async (member): Promise<MemberHash> => {
				const endpoint = member.clientUrls[0] ?? '';
				const base = {id: member.id, name: member.name, endpoint};
				try {
					const result = await io.hashKv(endpoint, at, hashKvDeadlineMs(observation.statuses[member.id]!.dbSize));
					return {...base, hash: result.hash, compactRevision: result.compactRevision, revision: result.revision, failure: undefined};
				} catch (error) {
					const failure = classifyError(error);
					return {...base, hash: undefined, compactRevision: undefined, revision: undefined, failure: `${failure.kind}: ${failure.message}`, failureKind: failure.kind};
				}
			}),
		);
		const verdict = judge(at, last, skipped);
		if (verdict === 'at-current') isAtCurrent = true;
		else if (verdict !== 'again') return verdict;
	}
	return {type: 'incomplete', revision, message: `compactions kept changing what is hashed (${maxAttempts} tries); run it again`, members: last, skipped};
}
