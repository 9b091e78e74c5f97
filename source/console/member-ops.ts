import {buildSshSettings, type Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import type {KubeadmDetection} from '../config/kubeadm.js';
import {etcdctlConnectionOf} from '../config/printed-client.js';
import type {CommandLogFile} from '../output/command-log-file.js';
import {initialState} from '../ops/member-workflow.js';
import {runOperation, type CommandLogEntry} from '../ops/member-run.js';
import {printedYamlScalar} from '../ops/commands.js';
import {copyableFeed, type SettingsContext} from '../ops/member-settings.js';
import type {Routes} from '../route/routes.js';
import type {SshConnection} from '../ssh/connection.js';
import type {CommandLog} from '../ui/command-log.js';
import type {MemberOpsBackend} from '../ui/member-ops.js';

/**
 * The node's own lines for a new member's static pod, when kubeadm's manifest was read: the data dir, the
 * TLS files as that node names them and its client/peer certificate checks, instead of leaving them for the
 * operator to copy (a new member without the peer CA or cert auth would not talk to the others).
 */
export function kubeadmPodLines(kubeadm: KubeadmDetection | undefined): readonly string[] {
	if (kubeadm?.source !== 'etcd-pod') return [];
	const flags: Array<readonly [string, string | undefined]> = [
		['data-dir', kubeadm.dataDir],
		['cert-file', kubeadm.serverCertFile],
		['key-file', kubeadm.serverKeyFile],
		['peer-cert-file', kubeadm.peerCertFile],
		['peer-key-file', kubeadm.peerKeyFile],
		['trusted-ca-file', kubeadm.trustedCaFile],
		['peer-trusted-ca-file', kubeadm.peerTrustedCaFile],
		['client-cert-auth', kubeadm.clientCertAuth],
		['peer-client-cert-auth', kubeadm.peerClientCertAuth],
	];
	return flags.filter((flag): flag is readonly [string, string] => flag[1] !== undefined).map(([name, value]) => `    - ${printedYamlScalar(`--${name}=${value}`)}`);
}

/** This node's data dir and TLS files for a new member's settings, when kubeadm's manifest was read. */
export function settingsContextOf(kubeadm: KubeadmDetection | undefined): SettingsContext {
	// On the host the data dir is the hostPath behind the pod's --data-dir (kubeadm: the same /var/lib/etcd).
	const dataDir = kubeadm?.dataVolume?.hostDataDir ?? kubeadm?.dataDir;
	return {...(dataDir === undefined ? {} : {dataDir}), podLines: kubeadmPodLines(kubeadm)};
}

export interface MemberOpsOptions {
	/** --wait-timeout: how long a new member may take to start and catch up. */
	readonly waitTimeoutMs: number;
	/** --via: member clients dial through its tunnels, start commands reach hosts through it. */
	readonly via?: {readonly routes: Routes; readonly connection: SshConnection};
	/** --command-log, opened once by the command: every change, remote line and setting to copy. */
	readonly logFile: CommandLogFile;
	/** The console's log pane: the same lines as they happen (`etcdtop member …` prints its own). */
	readonly pane?: Pick<CommandLog, 'append'>;
}

/**
 * The live member-change backend: the runner over routed clients and SSH, what it changes written to
 * --command-log. `etcdtop member …` and the console's wizard (built by console/root.ts) both run plans
 * through it; only how they confirm and report differs (the handlers).
 */
export function memberOpsBackend(config: Config, {waitTimeoutMs, via, logFile, pane}: MemberOpsOptions): MemberOpsBackend {
	const settingsContext = settingsContextOf(config.kubeadm);
	const options = {
		endpoints: config.endpoints,
		connect: connectOptionsOf(config),
		probeTimeoutMs: config.probeTimeoutMs,
		// --ssh-host, --ssh-identity, --ssh-known-hosts as buildConfig validated them.
		ssh: config.ssh ?? buildSshSettings({}),
		sshTimeoutMs: Math.min(waitTimeoutMs, 120_000),
		...(via ? {routes: via.routes, via: via.connection} : {}),
		onRemoteOutput: (line: string) => {
			pane?.append({at: Date.now(), severity: 'info', text: `  ${line}`});
			logFile.remote(line);
		},
	};
	return {
		connection: etcdctlConnectionOf(config),
		waitTimeoutMs,
		settingsContext,
		run: async (plan, handlers) => {
			const feed = copyableFeed(settingsContext, lines => {
				const at = Date.now();
				for (const line of lines) pane?.append({at, severity: 'info', text: `settings: ${line}`, isWhole: true});
				logFile.copyable(lines);
			});
			// ssh2 and the member clients load on first use, so the console starts as fast without them.
			const {liveOperationIo} = await import('../ops/live-io.js');
			const io = liveOperationIo(options, {
				confirm: handlers.confirm,
				onState: state => {
					handlers.onState(state);
					feed(state);
				},
				...(handlers.signal ? {signal: handlers.signal} : {}),
				log: (entry: CommandLogEntry) => {
					handlers.onLog(entry);
					pane?.append({at: entry.at, severity: 'info', text: `${entry.step}: $ ${entry.command}  # ${entry.result}`});
					logFile.change(entry);
				},
			});
			try {
				return await runOperation(initialState(plan), io);
			} finally {
				io.close();
			}
		},
	};
}
