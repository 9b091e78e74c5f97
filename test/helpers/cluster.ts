import {after} from 'node:test';
import {Etcd3} from 'etcd3';
import type {LocalCluster, LocalClusterOptions} from '../../source/demo/local-cluster.js';
import {startScenario} from './scenario.js';

/**
 * A real etcd cluster for one test file (the one scenario, test/helpers/scenario.ts), ended by PID when
 * the file's tests finish. On failure its logs are kept (ETCDTOP_KEEP_LOGS=1 keeps them always) and
 * their path is printed.
 */
export async function startCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
	const scenario = await startScenario({cluster: options});
	after(async () => scenario.end());
	return scenario.cluster;
}

/**
 * Overwrites `keys` keys with 200 KB values until etcd refuses with NOSPACE: a database full of old
 * revisions, what compact and defrag recover.
 */
export async function fillToNospace(endpoint: string, {keys, attempts}: {readonly keys: number; readonly attempts: number}): Promise<void> {
	const client = new Etcd3({hosts: endpoint});
	const value = Buffer.alloc(200_000, 'x');
	try {
		for (let index = 0; index < attempts; index++) {
			try {
				await client.put(`/fill/key-${index % keys}`).value(value);
			} catch (error) {
				if (/database space exceeded/.test(String(error))) return;
				throw error;
			}
		}
		throw new Error('the quota was never reached');
	} finally {
		client.close();
	}
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
