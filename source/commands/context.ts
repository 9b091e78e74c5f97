import {readFile} from 'node:fs/promises';
import {buildConfig, buildSshSettings, checkedDuration, readRegularFile, type Config} from '../config/config.js';
import {durationRanges} from '../config/duration.js';
import {ConfigError} from '../config/errors.js';
import {describeDetection, detectKubeadm, kubeadmApiserverManifest, kubeadmEtcdManifest, kubeadmMetricsUrls, kubeadmRoot, kubeadmTlsFiles, withKubeadm, type KubeadmDetection} from '../config/kubeadm.js';
import {SshError} from '../ssh/errors.js';
import {quotePrintedArgv} from '../ssh/quote.js';
import {isShownEscaped} from '../model/visible-text.js';
import {promptSecret} from '../config/secret-prompt.js';
import {CommandLogFileError, openCommandLogFile, type CommandLogFile} from '../output/command-log-file.js';
import type {ParsedFlags} from './flags.js';
import type {Via} from './via.js';

/** Where a command writes: `out` for results (stdout), `err` for diagnostics (stderr). Each call is one line or more. */
export interface CommandIo {
	readonly out: (text: string) => void;
	readonly err: (text: string) => void;
}

/** What the dispatcher hands a command: its operands, the flags it declared (checked), and where to write. */
export interface CommandContext {
	readonly args: readonly string[];
	readonly flags: ParsedFlags;
	readonly io: CommandIo;
}

/**
 * The Config from the connection flags and ETCDCTL_* variables, with the password asked for when missing.
 * With --kubeadm DIR, or on a kubeadm control-plane node when nothing says where etcd is, the etcd static
 * pod's manifest fills in the endpoints, TLS files and the member's metrics listener the operator did not
 * give (config/kubeadm.ts), and one line on `io.err` says which files were read (before any screen is
 * drawn). With --via the node is the SSH host: its files are read there, over a connection of their own.
 */
export async function resolvedConfig(flags: ParsedFlags, io?: CommandIo): Promise<Config> {
	const env = process.env;
	const sudoHint = `sudo ${quotePrintedArgv(['etcdtop', ...process.argv.slice(2)], isShownEscaped)}`;
	const viaInput = flags.via;
	if (viaInput === undefined) {
		const root = kubeadmRoot(flags, env);
		const detection = root === undefined ? undefined : await detectKubeadm({root, read: async path => readFile(path, 'utf8'), sudoHint});
		return configWith(flags, env, root, detection, {isOnNode: root === '/', io});
	}
	// Through --via the node is the far side: the same detection runs there, reading its files over SSH.
	const root = kubeadmRoot(flags, env, true);
	if (root === undefined) return configWith(flags, env, undefined, undefined, {isOnNode: false, io});
	const ssh = buildSshSettings(flags);
	const {openViaFiles} = await import('./via.js');
	const files = await openViaFiles({...ssh, via: ssh.via!}, dialTimeoutOf(flags, env), {warn: text => io?.err(text)});
	// Every file the detection read, as read: the TLS files it picked are these bytes, not this host's.
	const read = new Map<string, Buffer>();
	try {
		const detection = await detectKubeadm({
			root,
			read: async path => {
				const bytes = await files.read(path);
				read.set(path, bytes);
				return bytes.toString('utf8');
			},
			prefetch: async paths => files.prefetch(paths),
			sudoHint,
			where: files.label,
			rootFix: `connect as a user who may read it (e.g. --via root@${ssh.via!.host}), or copy the files here and give --kubeadm DIR without --via`,
		});
		return configWith(flags, env, root, detection, {isOnNode: true, io, where: files.label, remoteFiles: read});
	} catch (error) {
		// A file that is missing or root-only is already a ConfigError; a connection that failed on the way is said here.
		if (error instanceof SshError) throw new ConfigError('--via', `the kubeadm files on ${files.label} could not be read: ${error.problem}`, 'try again, or give --endpoints and the TLS flags');
		throw error;
	} finally {
		files.close();
	}
}

function dialTimeoutOf(flags: ParsedFlags, env: Readonly<Record<string, string | undefined>>): number {
	return checkedDuration(flags.dialTimeout ?? (env['ETCDCTL_DIAL_TIMEOUT'] || '2s'), flags.dialTimeout === undefined && env['ETCDCTL_DIAL_TIMEOUT'] ? 'ETCDCTL_DIAL_TIMEOUT' : '--dial-timeout', durationRanges.dialTimeout);
}

interface DetectedWhere {
	/** The detection's files are the node's own (this host at `/`, or the --via host): its loopback metrics listener is reachable. */
	readonly isOnNode: boolean;
	readonly io: CommandIo | undefined;
	readonly where?: string;
	/** Files read on the --via host: the TLS files detection chose are taken from here, not from this host's disk. */
	readonly remoteFiles?: ReadonlyMap<string, Buffer>;
}

async function configWith(flags: ParsedFlags, env: Readonly<Record<string, string | undefined>>, root: string | undefined, detection: KubeadmDetection | undefined, where: DetectedWhere): Promise<Config> {
	if (detection === undefined && flags.kubeadm !== undefined) {
		const on = where.where ? ` on ${where.where}` : '';
		throw new ConfigError('--kubeadm', `${root}${on} holds neither .${kubeadmEtcdManifest} nor .${kubeadmApiserverManifest}`, 'give the directory that stands for / on the control-plane node');
	}
	if (!detection) return withPassword(buildConfig(flags));
	// kubeadm's files are used where the operator gave none, as read (on the --via host: those bytes); a
	// --cacert/--cert/--key given by hand is this host's file. The Config records which, with their paths.
	const config = buildConfig(withKubeadm(flags, env, detection), env, readRegularFile, kubeadmTlsFiles(detection, where.remoteFiles));
	where.io?.err(describeDetection(detection, where.where));
	// The manifest's metrics listener for its own member, under any --metrics-urls entry for it (flags win).
	const metricsUrls = new Map([...kubeadmMetricsUrls(detection, where.isOnNode), ...(config.metrics?.urls ?? [])]);
	const metrics = config.metrics ? Object.freeze({...config.metrics, urls: metricsUrls}) : undefined;
	return withPassword(Object.freeze({...config, kubeadm: detection, ...(metrics ? {metrics} : {})}));
}

async function withPassword(config: Config): Promise<Config> {
	if (!config.auth || config.auth.password !== undefined) return config;
	if (!process.stdin.isTTY) {
		throw new ConfigError('--user', `no password for user "${config.auth.username}"`, 'set ETCDCTL_PASSWORD, or run in a terminal to be asked');
	}
	const password = await promptSecret(`Password for ${config.auth.username}: `);
	return Object.freeze({...config, auth: Object.freeze({username: config.auth.username, password})});
}

/** Runs `body` with the --via SSH connection up (or retrying), and closes it after. */
export async function withVia<T>(config: Config, io: CommandIo, body: (via: Via | undefined) => Promise<T>): Promise<T> {
	// ssh2 loads only when --via asks for it.
	if (!config.ssh?.via) return body(undefined);
	const {openVia} = await import('./via.js');
	const via = await openVia(config, {warn: io.err});
	try {
		return await body(via);
	} finally {
		await via?.close();
	}
}

/** Snapshot flags, loaded only by the commands that use them: the age and bbolt code stays out of `status`. */
export async function loadSnapshotOptions(flags: ParsedFlags) {
	const {parseSnapshotOptions, recipientsOf} = await import('../config/snapshot-options.js');
	return {options: parseSnapshotOptions(flags), recipientsOf};
}

/**
 * --command-log FILE, opened once by the command that takes it, before anything changes (and closed by
 * it): a file it cannot safely write is a usage error, exit 3.
 */
export function openCommandLog(path: string | undefined, warn: (text: string) => void): CommandLogFile {
	try {
		return openCommandLogFile(path, warn);
	} catch (error) {
		if (error instanceof CommandLogFileError) throw new ConfigError('--command-log', error.message, 'e.g. --command-log /var/log/etcdtop-changes.log');
		throw error;
	}
}
