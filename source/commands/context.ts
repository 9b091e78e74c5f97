import {readFileSync} from 'node:fs';
import {buildConfig, type Config} from '../config/config.js';
import {ConfigError} from '../config/errors.js';
import {describeDetection, detectKubeadm, kubeadmApiserverManifest, kubeadmEtcdManifest, kubeadmRoot, withKubeadm} from '../config/kubeadm.js';
import {quoteArgv} from '../ssh/quote.js';
import {promptSecret} from '../config/secret-prompt.js';
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
 * pod's manifest fills in the endpoints and TLS files the operator did not give (config/kubeadm.ts), and
 * one line on `io.err` says which files were read (before any screen is drawn).
 */
export async function resolvedConfig(flags: ParsedFlags, io?: CommandIo): Promise<Config> {
	const env = process.env;
	// Through --via the node is the far side: this host's /etc/kubernetes says nothing about it.
	const root = flags.via !== undefined && flags.kubeadm === undefined ? undefined : kubeadmRoot(flags, env);
	const detection =
		root === undefined
			? undefined
			: detectKubeadm({root, read: path => readFileSync(path, 'utf8'), sudoHint: `sudo ${quoteArgv(['etcdtop', ...process.argv.slice(2)])}`});
	if (detection === undefined && flags.kubeadm !== undefined) {
		throw new ConfigError('--kubeadm', `${root} holds neither .${kubeadmEtcdManifest} nor .${kubeadmApiserverManifest}`, 'give the directory that stands for / on the control-plane node');
	}
	const config = buildConfig(detection ? withKubeadm(flags, env, detection) : flags);
	if (!detection) return withPassword(config);
	io?.err(describeDetection(detection));
	return withPassword(Object.freeze({...config, kubeadm: detection}));
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
