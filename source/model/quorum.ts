/** Raft needs a majority of voters to elect a leader and commit. */
export function quorumOf(voters: number): number {
	return Math.floor(voters / 2) + 1;
}

/** How many more voters can fail, from where the cluster stands now, before it loses quorum. */
export function failuresTolerated(voters: number, reachableVoters: number): number {
	return Math.max(0, reachableVoters - quorumOf(voters));
}
