import {buildConfig, type ConnectionFlags} from '../config/config.js';
import {ConfigError} from '../config/errors.js';
import {EtcdNotFoundError, LocalCluster} from '../demo/local-cluster.js';
import {writeErr} from '../output/terminal.js';
import {startConsolePoller} from '../console/poller.js';

/** demo takes no connection or SSH flags (the dispatcher refuses them): it runs its own cluster here. */
export type DemoFlags = Pick<ConnectionFlags, 'interval' | 'probeTimeout' | 'readOnly' | 'discover'> & {readonly members?: string};

export function parseMemberCount(value: string | undefined): number {
	if (value === undefined) return 3;
	const count = Number(value);
	if (!/^\d+$/.test(value) || count < 1 || count > 9) throw new ConfigError('--members', `"${value}" is not a member count`, 'use a whole number from 1 to 9');
	return count;
}

/** A throwaway cluster on loopback with the console on it; every process and file is gone on exit. */
export async function runDemo(flags: DemoFlags): Promise<number> {
	const members = parseMemberCount(flags.members);
	writeErr(`etcdtop demo: starting a ${members}-member etcd cluster on 127.0.0.1...\n`);
	let cluster: LocalCluster;
	try {
		cluster = await LocalCluster.start({members, namePrefix: 'demo'});
	} catch (error) {
		if (error instanceof EtcdNotFoundError) {
			writeErr(`etcdtop demo: ${error.message}\n`);
			return 3;
		}
		throw error;
	}
	const stopCluster = async () => cluster.stop();
	// Whatever ends this process (a second ctrl-c, a crash), the members and their data go with it.
	process.once('exit', () => cluster.destroySync());
	try {
		const config = buildConfig({...flags, endpoints: cluster.endpoints.join(',')}, {});
		const poller = startConsolePoller(config);
		const {runConsoleRoot} = await import('../console/root.js');
		return await runConsoleRoot(config, poller, {onExit: stopCluster});
	} finally {
		await stopCluster();
		if (process.stderr.writable) writeErr('etcdtop demo: cluster stopped and its data removed.\n');
	}
}
