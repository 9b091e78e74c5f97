import type {ClusterHealth} from '../model/cluster-view.js';

/** The monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (usage/config). */
export const exitCodes = {ok: 0, warning: 1, critical: 2, usage: 3} as const;

export function exitCodeFor(health: ClusterHealth): number {
	if (health === 'healthy') return exitCodes.ok;
	// The credentials, not the cluster, are the problem: etcd refused this user (see etcd/errors.ts).
	if (health === 'permission-denied' || health === 'auth-failed') return exitCodes.usage;
	if (health === 'degraded') return exitCodes.warning;
	return exitCodes.critical;
}
