import {MemberClient, type ConnectOptions, type MemberRoute} from '../etcd/member-client.js';
import type {SshConnection} from '../ssh/connection.js';
import type {OperationIo} from './member-run.js';
import {startCommandRunner, type MemberSshSettings} from './ssh-start.js';

/** Where a member client dials for one member (the `--via` tunnel); undefined: its own endpoint. */
export type RouteFor = (endpoint: string) => Promise<MemberRoute | undefined>;

export interface LiveIoOptions {
	readonly endpoints: readonly string[];
	readonly connect: ConnectOptions;
	readonly probeTimeoutMs: number;
	readonly ssh: MemberSshSettings;
	readonly sshTimeoutMs: number;
	/** `--via`: every member client dials through the route this gives (as snapshot save does). */
	readonly routeFor?: RouteFor;
	/** `--via`: the start command reaches the member's host through this SSH connection (ProxyJump). */
	readonly via?: SshConnection;
	/** The start command's output, line by line as it arrives (the console's log pane). */
	readonly onRemoteOutput?: (line: string) => void;
}

type Calls = Pick<MemberClient, 'status' | 'memberList' | 'memberAdd' | 'memberRemove' | 'memberPromote' | 'moveLeader'>;

/**
 * A client whose route is found on first call: a route that fails (SSH down) is asked for again by the
 * next call, so a reconnect is picked up.
 */
function routedClient(endpoint: string, connect: ConnectOptions, routeFor: RouteFor, opened: Set<MemberClient>): Calls {
	let client: Promise<MemberClient> | undefined;
	const get = async () => {
		if (!client) {
			const opening = routeFor(endpoint).then(route => {
				const member = new MemberClient(endpoint, connect, route);
				opened.add(member);
				return member;
			});
			client = opening;
			opening.catch(() => {
				if (client === opening) client = undefined;
			});
		}
		return client;
	};
	return {
		status: async timeoutMs => (await get()).status(timeoutMs),
		memberList: async timeoutMs => (await get()).memberList(timeoutMs),
		memberAdd: async (peerUrls, isLearner, timeoutMs) => (await get()).memberAdd(peerUrls, isLearner, timeoutMs),
		memberRemove: async (hexId, timeoutMs) => (await get()).memberRemove(hexId, timeoutMs),
		memberPromote: async (hexId, timeoutMs) => (await get()).memberPromote(hexId, timeoutMs),
		moveLeader: async (hexId, timeoutMs) => (await get()).moveLeader(hexId, timeoutMs),
	};
}

/** The runner's io over real etcd clients (one per endpoint, closed by `close`) and SSH. */
export function liveOperationIo(options: LiveIoOptions, rest: Pick<OperationIo, 'confirm' | 'log' | 'onState' | 'signal'>): OperationIo & {close: () => void} {
	const clients = new Map<string, Calls>();
	const opened = new Set<MemberClient>();
	const client = (endpoint: string) => {
		let found = clients.get(endpoint);
		if (!found) {
			if (options.routeFor) {
				found = routedClient(endpoint, options.connect, options.routeFor, opened);
			} else {
				const member = new MemberClient(endpoint, options.connect);
				opened.add(member);
				found = member;
			}
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
		runStart: startCommandRunner(options.ssh, options.sshTimeoutMs, options.via, options.onRemoteOutput),
		...rest,
		close: () => {
			for (const member of opened) member.close();
			opened.clear();
			clients.clear();
		},
	};
}
