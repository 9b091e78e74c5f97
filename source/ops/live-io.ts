import {MemberClient, type ConnectOptions} from '../etcd/member-client.js';
import type {OperationIo} from './runner.js';
import {startCommandRunner, type MemberSshSettings} from './ssh-start.js';

export interface LiveIoOptions {
	readonly endpoints: readonly string[];
	readonly connect: ConnectOptions;
	readonly probeTimeoutMs: number;
	readonly ssh: MemberSshSettings;
	readonly sshTimeoutMs: number;
}

/** The runner's io over real etcd clients (one per endpoint, closed by `close`) and SSH. */
export function liveOperationIo(options: LiveIoOptions, rest: Pick<OperationIo, 'confirm' | 'log' | 'onState' | 'signal'>): OperationIo & {close: () => void} {
	const clients = new Map<string, MemberClient>();
	const client = (endpoint: string) => {
		let found = clients.get(endpoint);
		if (!found) {
			found = new MemberClient(endpoint, options.connect);
			clients.set(endpoint, found);
		}
		return found;
	};
	return {
		client,
		seedEndpoints: options.endpoints,
		commandTimeoutMs: options.connect.commandTimeoutMs,
		// A member busy applying a snapshot answers slowly; two seconds keeps it from looking dead.
		probeTimeoutMs: Math.max(options.probeTimeoutMs, 2000),
		runStart: startCommandRunner(options.ssh, options.sshTimeoutMs),
		...rest,
		close: () => {
			for (const member of clients.values()) member.close();
			clients.clear();
		},
	};
}
