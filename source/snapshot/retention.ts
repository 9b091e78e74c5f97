/** One snapshot as retention sees it: only files with an etcdtop manifest are ever candidates. */
export interface RetainedSnapshot {
	readonly name: string;
	/** ms since the epoch: the manifest's createdAt. */
	readonly createdAt: number;
	/** Its sha256 matched when it was saved and no later verification failed. */
	readonly isVerified: boolean;
}

/**
 * The snapshots `--keep N` removes: all but the newest N, except that the newest verified snapshot is
 * always kept when none of the newest N is verified, so retention can never leave no good backup.
 */
export function chooseDeletions(snapshots: readonly RetainedSnapshot[], keep: number): readonly string[] {
	if (!Number.isInteger(keep) || keep < 1) throw new RangeError('keep must be a positive integer');
	const newestFirst = [...snapshots].sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name));
	const kept = new Set(newestFirst.slice(0, keep).map(snapshot => snapshot.name));
	if (!newestFirst.some(snapshot => kept.has(snapshot.name) && snapshot.isVerified)) {
		const newestVerified = newestFirst.find(snapshot => snapshot.isVerified);
		if (newestVerified) kept.add(newestVerified.name);
	}
	return newestFirst.filter(snapshot => !kept.has(snapshot.name)).map(snapshot => snapshot.name);
}
