import type {ClusterView, MemberView} from './cluster-view.js';

/** Quota use past these fractions warns, then is critical (the Maintenance pane's thresholds). */
export const quotaWarn = 0.8;
export const quotaCritical = 0.95;
/** A defrag is worth it when less than half the file is in use and the part in use is this large. */
export const defragInUseRatio = 0.5;
export const defragMinInUse = 100 * 1024 * 1024;

export type Level = 'ok' | 'warn' | 'critical' | 'unknown';

export interface MaintenanceRow {
	readonly key: string;
	readonly id: string | undefined;
	readonly name: string;
	readonly role: 'leader' | 'follower' | 'learner' | '-';
	readonly dbSize: number | undefined;
	readonly dbSizeInUse: number | undefined;
	/** Share of the file not in use (0..1). */
	readonly fragmentation: number | undefined;
	readonly quota: number | undefined;
	readonly quotaUse: number | undefined;
	readonly quotaLevel: Level;
	readonly isDefragSuggested: boolean;
	readonly alarms: readonly string[];
}

export function quotaLevel(use: number | undefined): Level {
	if (use === undefined) return 'unknown';
	if (use > quotaCritical) return 'critical';
	if (use > quotaWarn) return 'warn';
	return 'ok';
}

/** A member's quota: its Status (etcd 3.6 dbSizeQuota), else what the maintenance store learned (flag or /metrics). */
function quotaOf(member: MemberView, quotas: Readonly<Record<string, number>>): number | undefined {
	const fromStatus = member.status?.dbSizeQuota === undefined ? undefined : Number(member.status.dbSizeQuota);
	if (fromStatus !== undefined && fromStatus > 0) return fromStatus;
	return member.id ? quotas[member.id] : undefined;
}

export function maintenanceRows(view: ClusterView, quotas: Readonly<Record<string, number>>): readonly MaintenanceRow[] {
	return view.members.map(member => {
		const status = member.status;
		const quota = quotaOf(member, quotas);
		const dbSize = status?.dbSize;
		const dbSizeInUse = status?.dbSizeInUse;
		const quotaUse = dbSize !== undefined && quota ? dbSize / quota : undefined;
		return {
			key: member.key,
			id: member.id,
			name: member.name,
			role: member.isLeader ? 'leader' : member.isLearner ? 'learner' : status ? 'follower' : '-',
			dbSize,
			dbSizeInUse,
			fragmentation: dbSize && dbSizeInUse !== undefined ? Math.max(0, 1 - dbSizeInUse / dbSize) : undefined,
			quota,
			quotaUse,
			quotaLevel: quotaLevel(quotaUse),
			isDefragSuggested: dbSize !== undefined && dbSizeInUse !== undefined && dbSize > 0 && dbSizeInUse / dbSize < defragInUseRatio && dbSizeInUse > defragMinInUse,
			alarms: member.alarms,
		};
	});
}

/** What the header says when NOSPACE is raised: what happened, and the key that starts the recovery. */
export function nospaceAdvice(view: ClusterView, isReadOnly: boolean): string | undefined {
	if (!view.alarms.some(alarm => alarm.alarm === 'NOSPACE')) return undefined;
	return isReadOnly
		? 'NOSPACE: the database is full and writes are refused; recover with etcdtop defrag --compact --disarm (this console is read-only)'
		: 'NOSPACE: the database is full and writes are refused; press 4, then d: compact, defragment every member, disarm';
}
