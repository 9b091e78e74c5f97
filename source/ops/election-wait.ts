/**
 * Waiting out a leader election before a decision, as pure data: the workflows keep an ElectionWait in
 * their state and ask for another observation after `delayMs`; the runner's observe effect sleeps, never
 * this code.
 *
 * Why: when a leader hangs or dies, etcd answers linearizable reads (3.5's linearizable MemberList, and
 * the read index barrier before 3.4's list) with "leader changed" or "no leader" until the others have
 * elected a new one, and the members that answer Status name no leader, or the dead one. That is exactly
 * when operators act (replace the dead leader, check before a defrag): a decision taken in that moment is
 * taken on no answer at all. A follower campaigns one to two election timeouts after the leader's last
 * heartbeat (etcd randomizes it), and a pre-vote round or a split vote adds about one more; so three of
 * etcd's default election timeouts (--election-timeout=1000ms) cover an election, and a cluster with no
 * leader after that has a problem a short wait will not fix.
 */

/** etcd's default --election-timeout. */
export const etcdElectionTimeoutMs = 1000;
/** How long a decision waits for an election to finish, from the first answer that said none had. */
export const electionWaitMs = 3 * etcdElectionTimeoutMs;
/** The first re-read; each next one waits twice as long (200, 400, 800, 1600 ms), within electionWaitMs. */
const firstDelayMs = 200;

export interface ElectionWait {
	/** When the first answer said the cluster had no leader. */
	readonly since: number;
	readonly attempts: number;
	/** What the cluster answered the first time ("leader changed", "no member names a leader"). */
	readonly reason: string;
	/** The wait ran out and the workflow went ahead without a leader: it does not wait again until one answers. */
	readonly isSpent?: boolean;
}

/**
 * One more wait for the election, or undefined once electionWaitMs has passed since the first answer
 * without a leader: then the decision is taken on what the cluster answers.
 */
export function nextElectionWait(wait: ElectionWait | undefined, at: number, reason: string): {readonly wait: ElectionWait; readonly delayMs: number} | undefined {
	const since = wait?.since ?? at;
	const attempts = wait?.attempts ?? 0;
	const left = since + electionWaitMs - at;
	if (left <= 0 || wait?.isSpent) return undefined;
	return {wait: {since, attempts: attempts + 1, reason: wait?.reason ?? reason}, delayMs: Math.max(1, Math.min(firstDelayMs * 2 ** attempts, left))};
}

function seconds(ms: number): string {
	return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** The operator's line when the wait starts. */
export function electionWaitStarted(reason: string): string {
	return `no leader (${reason}): waiting up to ${seconds(electionWaitMs)} for an election`;
}

/** The operator's (and the command log's) line when a leader answers again. */
export function electionWaitEnded(wait: ElectionWait, at: number, leader: string): string {
	return `waited ${seconds(at - wait.since)} for an election (${wait.reason}); ${leader} leads`;
}

/** The line when the wait ran out. */
export function electionWaitSpent(wait: ElectionWait, at: number): string {
	return `still no leader after waiting ${seconds(at - wait.since)} for an election (${wait.reason})`;
}
