import type {EndpointStatus} from './types.js';
import {compareText} from './order.js';

/**
 * The one leader rule: the leader is the member that a majority of the answering members report at the
 * highest term at which any of them reports a leader, counting every member at that term or later.
 *
 * Why: raft elects at most one leader per term, and a member names a leader only after hearing from it
 * in its own term, so the report at the highest term is the freshest. "Most named" alone is wrong when
 * lagging members still name a deposed leader; "highest term" alone is wrong both ways: one partitioned
 * candidate that bumped its term (no leader at that term) would hide a working leader, and one member
 * naming a leader would outvote members that have moved on to a newer election. So the members that
 * are at that term or a later one vote, and the named leader needs more than half of them; members at
 * an older term are stale and do not vote. Returns undefined when no such leader exists (an election is
 * under way, or the answers are too few or split to tell).
 */
/** A member whose Status says it has no leader (cut off from the others, or an election under way). */
export function reportsNoLeader(status: Pick<EndpointStatus, 'errors'>): boolean {
	return status.errors.some(error => /no leader/i.test(error));
}

export function leaderOf(statuses: Iterable<Pick<EndpointStatus, 'leader' | 'raftTerm'>>): string | undefined {
	const answers = [...statuses];
	const naming = answers.filter(status => status.leader !== '0' && status.leader !== '');
	if (naming.length === 0) return undefined;
	const term = Math.max(...naming.map(status => status.raftTerm));
	const counts = new Map<string, number>();
	for (const status of naming) if (status.raftTerm === term) counts.set(status.leader, (counts.get(status.leader) ?? 0) + 1);
	// Two leaders in one term happen only when the answers come from two clusters; the most named wins.
	const [leader, count] = [...counts].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))[0]!;
	const voters = answers.filter(status => status.raftTerm >= term).length;
	return count * 2 > voters ? leader : undefined;
}
