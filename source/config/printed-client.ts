import {isShownEscaped} from '../model/visible-text.js';
import {quotePrintedArgv} from '../ssh/quote.js';
import type {Config} from './config.js';
import {kubeadmRestoreLayout, type KubeadmRestoreLayout} from './kubeadm.js';

// Every etcdctl line etcdtop prints (a restore plan's check, an etcdctl equivalent on screen and in the
// command log) reaches the cluster as etcdtop did: with the TLS files the Config recorded when it read them
// and the user, never a password. Read here from the Config only, never from the flags or ETCDCTL_* again.

/** The connection flags of a printed etcdctl line, as paths the cluster's hosts know them by. */
export interface PrintedClient {
	readonly cacert?: string;
	readonly cert?: string;
	readonly key?: string;
	readonly user?: string;
}

/**
 * The TLS files the Config connected with (a flag, its ETCDCTL_* variable, or kubeadm's file as the node
 * names it) and the --user name, for a printed check or etcdctl equivalent. An http cluster has no files.
 */
export function restoreCheckClient(config: Pick<Config, 'tls' | 'auth'> | undefined): PrintedClient {
	const files = config?.tls?.files;
	return {
		...(files?.cacert ? {cacert: files.cacert.nodePath} : {}),
		...(files?.cert ? {cert: files.cert.nodePath} : {}),
		...(files?.key ? {key: files.key.nodePath} : {}),
		...(config?.auth ? {user: config.auth.username} : {}),
	};
}

/** What every etcdctl equivalent needs (ops/commands.ts EtcdctlBase): the endpoints, and the client above. */
export function etcdctlConnectionOf(config: Pick<Config, 'endpoints' | 'tls' | 'auth'>): PrintedClient & {readonly endpoints: readonly string[]} {
	return {endpoints: config.endpoints, ...restoreCheckClient(config)};
}

/**
 * How a restore plan is made for this Config, the same for `snapshot restore-plan` and the console's
 * Snapshots pane: kubeadm's static-pod layout when its manifest was read, and the check's client.
 */
export function restorePlanContextOf(config: Pick<Config, 'tls' | 'auth' | 'kubeadm'> | undefined): {readonly kubeadm?: KubeadmRestoreLayout; readonly client: PrintedClient} {
	const kubeadm = kubeadmRestoreLayout(config?.kubeadm);
	return {...(kubeadm ? {kubeadm} : {}), client: restoreCheckClient(config)};
}

/**
 * The fix a refusal for want of the root role prints (etcd/errors.ts permissionDeniedFailure): the user name
 * is the operator's --user, any characters at all, so the line is quoted by the one quoting function.
 */
export function grantRootCommandOf(username: string): string {
	return quotePrintedArgv(['etcdctl', 'user', 'grant-role', username, 'root'], isShownEscaped);
}
