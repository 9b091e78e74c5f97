/** True once a test of this file failed (node's runner sets process.exitCode), or when ETCDTOP_KEEP_LOGS=1. */
export function isKeepingEvidence(): boolean {
	return (process.exitCode !== undefined && process.exitCode !== 0) || process.env['ETCDTOP_KEEP_LOGS'] === '1';
}
