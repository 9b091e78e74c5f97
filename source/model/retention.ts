/** One snapshot as retention sees it: only files with an etcdtop manifest are ever candidates. */
export interface RetainedSnapshot {
	readonly name: string;
	/** ms since the epoch: the manifest's createdAt. */
	readonly createdAt: number;
	/** Its sha256 matched when it was saved and no later verification failed. */
	readonly isVerified: boolean;
}

export type RetentionTier = 'hourly' | 'daily' | 'weekly' | 'monthly';
export const retentionTiers: readonly RetentionTier[] = ['hourly', 'daily', 'weekly', 'monthly'];

/**
 * What to keep: the newest `keep`, and/or per tier the newest snapshot of each of the N most recent hours
 * (days, ISO weeks, months, in UTC) that have one, as restic's --keep-hourly and etcd-manager's tiers do.
 * Counting periods that have a snapshot, not periods back from now, keeps a stopped timer from emptying a bucket.
 */
export interface RetentionPolicy {
	readonly keep?: number;
	readonly tiers?: Readonly<Partial<Record<RetentionTier, number>>>;
}

/** "hourly=24,daily=7,weekly=4" -> tiers; undefined with the reason when the text is not one. */
export function parseKeepPolicy(text: string): {tiers: Partial<Record<RetentionTier, number>>} | {problem: string} {
	const tiers: Partial<Record<RetentionTier, number>> = {};
	const parts = text.split(',').map(part => part.trim()).filter(part => part !== '');
	if (parts.length === 0) return {problem: 'is empty'};
	for (const part of parts) {
		const match = /^([a-z]+)=([0-9]+)$/.exec(part);
		if (!match) return {problem: `"${part}" is not TIER=N`};
		const tier = match[1] as RetentionTier;
		if (!retentionTiers.includes(tier)) return {problem: `"${match[1]}" is not a tier (use ${retentionTiers.join(', ')})`};
		if (tiers[tier] !== undefined) return {problem: `${tier} is given twice`};
		const count = Number(match[2]);
		if (!Number.isSafeInteger(count) || count < 1 || count > 100_000) return {problem: `${tier}=${match[2]}: N must be a whole number from 1`};
		tiers[tier] = count;
	}
	return {tiers};
}

/** The UTC period a moment falls in, as a string that is equal for moments of the same period. */
export function periodOf(tier: RetentionTier, at: number): string {
	const date = new Date(at);
	const iso = date.toISOString();
	switch (tier) {
		case 'hourly':
			return iso.slice(0, 13);
		case 'daily':
			return iso.slice(0, 10);
		case 'monthly':
			return iso.slice(0, 7);
		case 'weekly': {
			// ISO 8601 week: the week's Thursday decides its year; weeks start on Monday.
			const day = (date.getUTCDay() + 6) % 7;
			const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day + 3);
			const year = new Date(thursday).getUTCFullYear();
			const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
			return `${year}-W${String(week).padStart(2, '0')}`;
		}
	}
}

function newestFirst(snapshots: readonly RetainedSnapshot[]): RetainedSnapshot[] {
	// The name breaks ties: etcdtop's names carry a fixed-width UTC time, so they sort as time does.
	return [...snapshots].sort((a, b) => b.createdAt - a.createdAt || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/**
 * The snapshots a policy removes (`--keep N` is `{keep: N}`). The newest verified snapshot is always kept,
 * so retention can never leave no good backup; in a tier's period a verified snapshot is preferred to a
 * newer unverified one.
 */
export function chooseDeletions(snapshots: readonly RetainedSnapshot[], policy: number | RetentionPolicy): readonly string[] {
	const {keep, tiers = {}} = typeof policy === 'number' ? {keep: policy} : policy;
	if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new RangeError('keep must be a positive integer');
	if (keep === undefined && Object.keys(tiers).length === 0) throw new RangeError('a retention policy needs keep or a tier');
	const ordered = newestFirst(snapshots);
	const kept = new Set(ordered.slice(0, keep ?? 0).map(snapshot => snapshot.name));
	for (const tier of retentionTiers) {
		const count = tiers[tier];
		if (count === undefined) continue;
		const periods = new Map<string, RetainedSnapshot>();
		for (const snapshot of ordered) {
			const period = periodOf(tier, snapshot.createdAt);
			const chosen = periods.get(period);
			if (!chosen) {
				if (periods.size === count) break;
				periods.set(period, snapshot);
			} else if (!chosen.isVerified && snapshot.isVerified) {
				periods.set(period, snapshot);
			}
		}
		for (const snapshot of periods.values()) kept.add(snapshot.name);
	}
	const newestVerified = ordered.find(snapshot => snapshot.isVerified);
	if (newestVerified) kept.add(newestVerified.name);
	return ordered.filter(snapshot => !kept.has(snapshot.name)).map(snapshot => snapshot.name);
}

/** How a policy reads in a message: "--keep 3", "--keep-policy hourly=24,daily=7". */
export function describePolicy(policy: RetentionPolicy): string {
	const parts: string[] = [];
	if (policy.keep !== undefined) parts.push(`--keep ${policy.keep}`);
	const tiers = retentionTiers.filter(tier => policy.tiers?.[tier] !== undefined).map(tier => `${tier}=${policy.tiers![tier]}`);
	if (tiers.length > 0) parts.push(`--keep-policy ${tiers.join(',')}`);
	return parts.join(' ');
}
