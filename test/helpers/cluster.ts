import {after} from 'node:test';
import {LocalCluster, type LocalClusterOptions} from '../../source/demo/local-cluster.js';
import {etcdBinary} from './etcd-binaries.js';
import {isKeepingEvidence} from './evidence.js';

/**
 * A real etcd cluster for one test file, ended by PID when the file's tests finish. On failure its
 * logs are kept (ETCDTOP_KEEP_LOGS=1 keeps them always) and their path is printed.
 */
export async function startCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
	const cluster = await LocalCluster.start({etcdBinary: etcdBinary('etcd'), ...options});
	after(async () => {
		const isKeeping = isKeepingEvidence();
		await cluster.stop({isKeepingFiles: isKeeping});
		if (isKeeping) console.error(`etcd logs kept in ${cluster.baseDir}`);
	});
	return cluster;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 200): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await probe();
			if (value !== undefined && value !== false) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
		await new Promise(resolve => setTimeout(resolve, everyMs));
	}
}
