import {closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, statSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {SshError} from '../ssh/errors.js';
import {parseHostMap, parseTarget, type SshTarget} from '../ssh/target.js';
import {DurationError, durationRanges, parseDurationIn, type DurationRange} from './duration.js';
import {parseEndpoints} from './endpoints.js';
import {ConfigError} from './errors.js';
import type {KubeadmDetection} from './kubeadm.js';
import {buildMetricsSettings, type MetricsFlags, type MetricsSettings} from './metrics-options.js';
import {checkTlsMaterial} from './tls-material.js';

export interface TlsConfig {
	readonly ca?: Buffer;
	readonly cert?: Buffer;
	readonly key?: Buffer;
	readonly isInsecureSkipVerify: boolean;
	/** Where each of ca, cert and key came from: every printed etcdctl line carries these paths (config/printed-client.ts). */
	readonly files: TlsFiles;
}

/** The TLS files etcdtop connected with, beside their bytes: what a printed etcdctl line must name. */
export interface TlsFiles {
	readonly cacert?: TlsFileUsed;
	readonly cert?: TlsFileUsed;
	readonly key?: TlsFileUsed;
}

export interface TlsFileUsed {
	/** What named it: `--cacert`, `ETCDCTL_CACERT`, or `--kubeadm` (kubeadm detection found it). */
	readonly input: string;
	/** Where its bytes were read: as given, or where kubeadm detection read it (under --kubeadm DIR; on the --via host with --via). */
	readonly path: string;
	/**
	 * The path as the cluster's hosts name it, for printed commands: as given for a flag or variable; for
	 * a kubeadm file the path its manifest names on the node (/etc/kubernetes/pki/...), not re-rooted under DIR.
	 */
	readonly nodePath: string;
}

/**
 * A TLS file kubeadm detection found (config/kubeadm.ts kubeadmTlsFiles): used where neither a flag nor an
 * ETCDCTL_* variable names one (the certificate and key only as a pair). `bytes` were read on the --via host.
 */
export interface DetectedTlsFile {
	readonly path: string;
	readonly nodePath: string;
	readonly bytes?: Buffer;
}

export interface DetectedTlsFiles {
	readonly cacert?: DetectedTlsFile;
	readonly cert?: DetectedTlsFile;
	readonly key?: DetectedTlsFile;
}

export interface AuthConfig {
	readonly username: string;
	/** Undefined when the user must still be asked (a name without a password anywhere). */
	readonly password: string | undefined;
}

/** How etcdtop reaches etcd and member hosts over SSH. */
export interface SshSettings {
	/** `--via [user@]host[:port]`: every etcd connection is carried through this SSH host. */
	readonly via: SshTarget | undefined;
	/** `--ssh-identity FILE`: tried instead of ~/.ssh/config's IdentityFile and the default keys. */
	readonly identityFile: string | undefined;
	/** `--ssh-known-hosts FILE`, default ~/.ssh/known_hosts. */
	readonly knownHostsPath: string;
	/** `--ssh-accept-new`: record an unknown host's key on first use (a changed key is refused anyway). */
	readonly isAcceptingNew: boolean;
	/** `--ssh-host NAME=[user@]host[:port]`: where a member's remote commands run. */
	readonly hostMap: ReadonlyMap<string, SshTarget>;
}

export interface Config {
	readonly endpoints: readonly string[];
	readonly tls: TlsConfig | undefined;
	readonly auth: AuthConfig | undefined;
	readonly dialTimeoutMs: number;
	readonly commandTimeoutMs: number;
	readonly intervalMs: number;
	readonly probeTimeoutMs: number;
	readonly isReadOnly: boolean;
	readonly isDiscovering: boolean;
	/** Undefined only in Configs built by hand (tests); buildConfig always sets it. */
	readonly ssh?: SshSettings;
	/** What a kubeadm manifest said (--kubeadm, or found on a control-plane node); commands/context.ts sets it. */
	readonly kubeadm?: KubeadmDetection;
	/** How the members' /metrics are read; undefined (hand-built Configs) reads them at the defaults. */
	readonly metrics?: MetricsSettings;
}

/** The connection flags as meow hands them over; undefined means "not given". */
export interface ConnectionFlags extends MetricsFlags {
	readonly endpoints?: string;
	readonly cacert?: string;
	readonly cert?: string;
	readonly key?: string;
	readonly user?: string;
	readonly password?: string;
	readonly insecureSkipTlsVerify?: boolean;
	readonly dialTimeout?: string;
	readonly commandTimeout?: string;
	readonly interval?: string;
	readonly probeTimeout?: string;
	readonly readOnly?: boolean;
	readonly discover?: boolean;
	readonly via?: string;
	readonly sshIdentity?: string;
	readonly sshKnownHosts?: string;
	readonly sshAcceptNew?: boolean;
	readonly sshHost?: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;
type ReadFile = (path: string) => Buffer;

const defaults = {
	endpoints: '127.0.0.1:2379',
	dialTimeout: '2s',
	commandTimeout: '5s',
	interval: '1s',
	probeTimeout: '1s',
} as const;

/** A flag wins over its ETCDCTL_* variable, which wins over the default. */
function pick(flag: string | undefined, env: Env, variable: string): {value: string | undefined; input: string} {
	const flagName = `--${variable.replace(/^ETCD(CTL|TOP)_/, '').toLowerCase().replaceAll('_', '-')}`;
	if (flag !== undefined) return {value: flag, input: flagName};
	const fromEnv = env[variable];
	if (fromEnv !== undefined && fromEnv !== '') return {value: fromEnv, input: variable};
	return {value: undefined, input: flagName};
}

function duration(flag: string | undefined, env: Env, variable: string, fallback: string, range: DurationRange): number {
	const {value, input} = pick(flag, env, variable);
	return checkedDuration(value ?? fallback, input, range);
}

/** A duration flag's value within its documented range, or exit 3 naming the flag and the range. */
export function checkedDuration(text: string, input: string, range: DurationRange): number {
	try {
		return parseDurationIn(text, range);
	} catch (error) {
		if (error instanceof DurationError) throw new ConfigError(input, error.message, error.fix);
		throw error;
	}
}

/** PEM bundles are kilobytes; a CA bundle of every public root is about 250 KB. */
const maxMaterialBytes = 16 << 20;

/**
 * A file the operator named (a CA, a certificate, a key), read only when it is a regular file: opened
 * without blocking, so a FIFO planted or named there is refused at once instead of waiting for a writer,
 * and never more than 16 MiB. Errors carry an errno-style code that readMaterial turns into words.
 */
export function readRegularFile(path: string): Buffer {
	const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
	try {
		const stats = fstatSync(fd);
		if (stats.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), {code: 'EISDIR'});
		if (!stats.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), {code: 'ENOTREG'});
		if (stats.size > maxMaterialBytes) throw Object.assign(new Error(`${path} is too large`), {code: 'EFBIG'});
		return readFileSync(fd);
	} finally {
		closeSync(fd);
	}
}

function readMaterial(path: string | undefined, input: string, readFile: ReadFile): Buffer | undefined {
	if (path === undefined) return undefined;
	try {
		return readFile(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const why =
			code === 'ENOENT'
				? 'does not exist'
				: code === 'EACCES'
					? 'is not readable (permission denied)'
					: code === 'EISDIR'
						? 'is a directory'
						: code === 'ENOTREG'
							? 'is not a regular file (a FIFO, socket or device)'
							: code === 'EFBIG'
								? 'is larger than 16 MiB: not a PEM file'
								: `cannot be read (${code ?? 'error'})`;
		throw new ConfigError(input, `${path} ${why}`, 'give the path of a readable PEM file');
	}
}

function isTruthy(value: string | undefined): boolean {
	return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

function sshConfigError(input: string, error: unknown): never {
	if (error instanceof SshError) throw new ConfigError(input, error.problem, error.fix);
	throw error;
}

function fileProblem(path: string, stat: (path: string) => {isFile(): boolean} | undefined): string | undefined {
	try {
		const stats = stat(path);
		if (stats && !stats.isFile()) return `${path} is not a regular file`;
		return stats ? undefined : `${path} does not exist`;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'EACCES' ? `${path} is not readable (permission denied)` : `${path} cannot be read (${code ?? 'error'})`;
	}
}

function defaultStat(path: string): {isFile(): boolean} | undefined {
	try {
		return statSync(path);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
}

/** The SSH flags, checked: a bad target, a missing identity or a known_hosts that is a directory stop here. */
export function buildSshSettings(flags: ConnectionFlags, stat: (path: string) => {isFile(): boolean} | undefined = defaultStat, home = homedir()): SshSettings {
	let via: SshTarget | undefined;
	if (flags.via !== undefined) {
		try {
			via = parseTarget(flags.via);
		} catch (error) {
			sshConfigError('--via', error);
		}
	}
	let hostMap: ReadonlyMap<string, SshTarget> = new Map();
	try {
		hostMap = parseHostMap(flags.sshHost ?? []);
	} catch (error) {
		sshConfigError('--ssh-host', error);
	}
	const expand = (path: string) => (path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path);
	let identityFile: string | undefined;
	if (flags.sshIdentity !== undefined) {
		if (flags.sshIdentity.trim() === '') throw new ConfigError('--ssh-identity', 'the path is empty', 'give a private key file, e.g. ~/.ssh/id_ed25519');
		identityFile = expand(flags.sshIdentity);
		const problem = fileProblem(identityFile, stat);
		if (problem) throw new ConfigError('--ssh-identity', problem, 'give a readable private key file (OpenSSH or PEM format)');
	}
	let knownHostsPath = join(home, '.ssh', 'known_hosts');
	if (flags.sshKnownHosts !== undefined) {
		if (flags.sshKnownHosts.trim() === '') throw new ConfigError('--ssh-known-hosts', 'the path is empty', 'give a known_hosts file');
		knownHostsPath = expand(flags.sshKnownHosts);
		const problem = fileProblem(knownHostsPath, stat);
		// A known_hosts that does not exist yet is empty: every host is unknown, and --ssh-accept-new creates it.
		if (problem && !problem.endsWith('does not exist')) throw new ConfigError('--ssh-known-hosts', problem, 'give a known_hosts file (it may not exist yet)');
	}
	return Object.freeze({via, identityFile, knownHostsPath, isAcceptingNew: flags.sshAcceptNew ?? false, hostMap});
}

/** A TLS file as given (flag over variable), else the one kubeadm found; undefined when none. */
function tlsFileOf(given: {value: string | undefined; input: string}, detected: DetectedTlsFile | undefined): (TlsFileUsed & {bytes?: Buffer}) | undefined {
	if (given.value !== undefined) return {input: given.input, path: given.value, nodePath: given.value};
	if (detected === undefined) return undefined;
	return {input: '--kubeadm', path: detected.path, nodePath: detected.nodePath, ...(detected.bytes ? {bytes: detected.bytes} : {})};
}

/**
 * The one Config from the connection flags, their ETCDCTL_* variables and (commands/context.ts) what kubeadm
 * detection found: a flag wins over its variable, which wins over kubeadm's file (the cert and key as a pair).
 */
export function buildConfig(flags: ConnectionFlags, env: Env = process.env, readFile: ReadFile = readRegularFile, detected: DetectedTlsFiles = {}): Config {
	const givenCert = pick(flags.cert, env, 'ETCDCTL_CERT');
	const givenKey = pick(flags.key, env, 'ETCDCTL_KEY');
	if ((givenCert.value === undefined) !== (givenKey.value === undefined)) {
		throw new ConfigError(givenCert.value === undefined ? '--cert' : '--key', 'a client certificate needs both --cert and --key', 'give both files, or neither');
	}
	// One given by the operator means neither is taken from kubeadm: a certificate and its key go together.
	const isPairGiven = givenCert.value !== undefined;
	const cacert = tlsFileOf(pick(flags.cacert, env, 'ETCDCTL_CACERT'), detected.cacert);
	const cert = tlsFileOf(givenCert, isPairGiven ? undefined : detected.cert);
	const key = tlsFileOf(givenKey, isPairGiven ? undefined : detected.key);
	const isInsecureSkipVerify = flags.insecureSkipTlsVerify ?? isTruthy(env['ETCDCTL_INSECURE_SKIP_TLS_VERIFY']);
	const hasTlsMaterial = cacert !== undefined || cert !== undefined || isInsecureSkipVerify;

	const endpointsInput = pick(flags.endpoints, env, 'ETCDCTL_ENDPOINTS');
	const endpoints = parseEndpoints(endpointsInput.value ?? defaults.endpoints, endpointsInput.input, hasTlsMaterial);
	const isAnyHttps = endpoints.some(endpoint => endpoint.startsWith('https:'));
	if (hasTlsMaterial && !isAnyHttps) {
		throw new ConfigError(endpointsInput.input, 'TLS files were given but every endpoint is http://', 'use https:// endpoints, or drop --cacert/--cert/--key');
	}

	let tls: TlsConfig | undefined;
	if (isAnyHttps) {
		const read = (file: (TlsFileUsed & {bytes?: Buffer}) | undefined) => (file ? {input: file.input, path: file.path, pem: file.bytes ?? readMaterial(file.path, file.input, readFile)!} : undefined);
		const [caFile, certFile, keyFile] = [read(cacert), read(cert), read(key)];
		checkTlsMaterial({ca: caFile, cert: certFile, key: keyFile});
		const used = (file: TlsFileUsed): TlsFileUsed => Object.freeze({input: file.input, path: file.path, nodePath: file.nodePath});
		const files: TlsFiles = Object.freeze({...(cacert ? {cacert: used(cacert)} : {}), ...(cert ? {cert: used(cert)} : {}), ...(key ? {key: used(key)} : {})});
		tls = Object.freeze({ca: caFile?.pem, cert: certFile?.pem, key: keyFile?.pem, isInsecureSkipVerify, files});
	}

	const user = pick(flags.user, env, 'ETCDCTL_USER');
	let auth: AuthConfig | undefined;
	if (user.value !== undefined) {
		const colon = user.value.indexOf(':');
		const username = colon === -1 ? user.value : user.value.slice(0, colon);
		if (username === '') throw new ConfigError(user.input, 'the user name is empty', 'use name or name:password');
		const password = colon === -1 ? pick(flags.password, env, 'ETCDCTL_PASSWORD').value : user.value.slice(colon + 1);
		auth = Object.freeze({username, password});
	} else if (flags.password !== undefined) {
		throw new ConfigError('--password', 'a password was given without a user', 'add --user NAME');
	}

	const probeTimeoutMs = duration(flags.probeTimeout, env, 'ETCDTOP_PROBE_TIMEOUT', defaults.probeTimeout, durationRanges.probeTimeout);
	return Object.freeze({
		endpoints: Object.freeze([...endpoints]),
		tls,
		auth,
		dialTimeoutMs: duration(flags.dialTimeout, env, 'ETCDCTL_DIAL_TIMEOUT', defaults.dialTimeout, durationRanges.dialTimeout),
		commandTimeoutMs: duration(flags.commandTimeout, env, 'ETCDCTL_COMMAND_TIMEOUT', defaults.commandTimeout, durationRanges.commandTimeout),
		intervalMs: duration(flags.interval, env, 'ETCDTOP_INTERVAL', defaults.interval, durationRanges.interval),
		probeTimeoutMs,
		isReadOnly: flags.readOnly ?? false,
		isDiscovering: flags.discover ?? true,
		ssh: buildSshSettings(flags),
		metrics: buildMetricsSettings(flags),
	});
}
