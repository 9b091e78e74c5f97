import type {ConnectOptions} from '../etcd/member-client.js';
import {clientPool} from '../route/client-pool.js';
import {createRoutes, type Routes} from '../route/routes.js';
import type {SshConnection} from '../ssh/connection.js';
import type {OperationIo} from './member-run.js';
import {startCommandRunner, type MemberSshSettings} from './ssh-start.js';

export interface LiveIoOptions {
	readonly endpoints: readonly string[];
	readonly connect: ConnectOptions;
	readonly probeTimeoutMs: number;
	readonly ssh: MemberSshSettings;
	readonly sshTimeoutMs: number;
	/** How members are reached (`--via`: through its tunnels, as every other call); default direct. */
	readonly routes?: Routes;
	/** `--via`: the start command reaches the member's host through this SSH connection (ProxyJump). */
	readonly via?: SshConnection;
	/** The start command's output, line by line as it arrives (the console's log pane). */
	readonly onRemoteOutput?: (line: string) => void;
}

/** The runner's io over routed etcd clients (one per endpoint, closed by `close`) and SSH. */
export function liveOperationIo(options: LiveIoOptions, rest: Pick<OperationIo, 'confirm' | 'log' | 'onState' | 'signal'>): OperationIo & {close: () => void} {
	const routes = options.routes ?? createRoutes(options.connect);
	const clients = clientPool(routes);
	return {
		client: clients.client,
		seedEndpoints: options.endpoints,
		commandTimeoutMs: options.connect.commandTimeoutMs,
		// A member busy applying a snapshot answers slowly; two seconds keeps it from looking dead.
		probeTimeoutMs: Math.max(options.probeTimeoutMs, 2000),
		runStart: startCommandRunner(options.ssh, options.sshTimeoutMs, options.via, options.onRemoteOutput),
		...rest,
		close: clients.close,
	};
}
