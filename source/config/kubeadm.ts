// Zero-config on a kubeadm control-plane node: the etcd static pod's manifest says where etcd listens, which
// CA signs it, where its data and metrics are and what the member is called; the pki dir next to it holds a
// client certificate. With external etcd, kube-apiserver's manifest names the servers and its client files.
// Imports nothing of the project above config/: the reader is injected (a local file, or `cat` over SSH).
import {posix} from 'node:path';
import type {DetectedTlsFile, DetectedTlsFiles} from './config.js';
import {ConfigError} from './errors.js';

export const kubeadmEtcdManifest = '/etc/kubernetes/manifests/etcd.yaml';
export const kubeadmApiserverManifest = '/etc/kubernetes/manifests/kube-apiserver.yaml';

/** What was read from the node: every path is as the node sees it, re-rooted under `root` when that is not `/`. */
export interface KubeadmDetection {
	/** `/`, or the `--kubeadm DIR` that stands for it. */
	readonly root: string;
	/** Stacked etcd (the etcd static pod) or external etcd (only kube-apiserver's flags). */
	readonly source: 'etcd-pod' | 'apiserver';
	readonly manifest: string;
	readonly endpoints: readonly string[];
	readonly caFile: string | undefined;
	readonly certFile: string | undefined;
	readonly keyFile: string | undefined;
	/** The pod's --data-dir, as the node's path (not re-rooted): what a restore plan and replacement print. */
	readonly dataDir: string | undefined;
	readonly metricsUrls: readonly string[];
	readonly memberName: string | undefined;
	/** The pod's --cert-file and --key-file (node paths), and its pki dir, for the printed manifest lines. */
	readonly serverCertFile: string | undefined;
	readonly serverKeyFile: string | undefined;
	readonly peerCertFile: string | undefined;
	readonly peerKeyFile: string | undefined;
	/** The pod's --trusted-ca-file as the node names it (caFile is where it was read). */
	readonly trustedCaFile: string | undefined;
	/** The pod's --peer-trusted-ca-file, --client-cert-auth and --peer-client-cert-auth as written: a new member needs the same. */
	readonly peerTrustedCaFile: string | undefined;
	readonly clientCertAuth: string | undefined;
	readonly peerClientCertAuth: string | undefined;
	readonly pkiDir: string | undefined;
	/**
	 * The client files etcdtop connects with, as the node names them (caFile, certFile and keyFile are
	 * where they were read, re-rooted under --kubeadm DIR): for commands printed to run on the node.
	 */
	readonly nodeClientFiles: {readonly caFile: string | undefined; readonly certFile: string | undefined; readonly keyFile: string | undefined};
	/**
	 * The pod's hostPath volume that holds --data-dir (kubeadm's `etcd-data`: /var/lib/etcd on the host
	 * mounted at /var/lib/etcd): a restore points `hostPath` at the new directory. Undefined when the data dir
	 * is on no hostPath volume (the restore then changes --data-dir itself).
	 */
	readonly dataVolume: DataVolume | undefined;
	/** Every file the detection read or chose, for the one line that says so. */
	readonly filesUsed: readonly string[];
}

export interface DataVolume {
	readonly name: string;
	/** The volume's `hostPath.path` on the node. */
	readonly hostPath: string;
	/** Where the container mounts it; --data-dir is this or below it. */
	readonly mountPath: string;
	/** The data dir as the node's own path: hostPath plus where --data-dir is below mountPath. */
	readonly hostDataDir: string;
}

/**
 * Reads a file of the node as text. Rejects with errors carrying a Node `code` (ENOENT, EACCES) like fs
 * does; the remote reader (`cat` over the --via SSH connection) maps its exit status and stderr to them.
 */
export type NodeReader = (path: string) => Promise<string>;

/** Flags of an etcd or kube-apiserver command line; the last occurrence wins, as Go's flag package has it. */
export function commandFlags(argv: readonly string[]): ReadonlyMap<string, string> {
	const flags = new Map<string, string>();
	for (let index = 0; index < argv.length; index++) {
		const word = argv[index]!;
		const match = /^--?([A-Za-z0-9][\w.-]*)(?:=(.*))?$/s.exec(word);
		if (!match) continue;
		if (match[2] !== undefined) {
			flags.set(match[1]!, match[2]);
		} else if (index + 1 < argv.length && !argv[index + 1]!.startsWith('-')) {
			flags.set(match[1]!, argv[++index]!);
		} else {
			flags.set(match[1]!, 'true');
		}
	}
	return flags;
}

const list = (value: string | undefined): string[] => (value ?? '').split(',').map(part => part.trim()).filter(Boolean);

interface PodContainer {
	readonly name?: unknown;
	readonly command?: unknown;
	readonly args?: unknown;
	readonly volumeMounts?: unknown;
}

/** The `yaml` package's parse (config/yaml.ts): loaded only once a manifest was found, it is ~260 KB to load. */
export type YamlParser = (text: string) => unknown;

/** What a static pod manifest says of its container: the command line, and the hostPath volumes it mounts. */
export interface PodSpec {
	readonly argv: readonly string[];
	/** mountPath -> {volume name, its hostPath.path}, for the container's mounts of hostPath volumes. */
	readonly hostMounts: ReadonlyArray<{readonly name: string; readonly mountPath: string; readonly hostPath: string}>;
}

/** The container's command line and hostPath mounts from a static pod manifest, or a reason it is not the pod expected. */
export function podSpec(text: string, manifest: string, component: 'etcd' | 'kube-apiserver', parseYaml: YamlParser): PodSpec {
	let document: unknown;
	try {
		document = parseYaml(text);
	} catch (error) {
		throw new ConfigError('--kubeadm', `${manifest} is not valid YAML (${(error as Error).message.split('\n')[0]})`, 'check the file, or give --endpoints and the TLS flags instead');
	}
	const pod = document as {kind?: unknown; metadata?: {labels?: Record<string, unknown>}; spec?: {containers?: unknown; volumes?: unknown}} | null;
	if (!pod || typeof pod !== 'object' || pod.kind !== 'Pod') {
		throw new ConfigError('--kubeadm', `${manifest} is not a Pod manifest`, 'give --endpoints and the TLS flags instead');
	}
	if (pod.metadata?.labels?.['component'] !== component) {
		throw new ConfigError('--kubeadm', `${manifest} is not the ${component} static pod (no label component: ${component})`, 'give --endpoints and the TLS flags instead');
	}
	const containers = Array.isArray(pod.spec?.containers) ? (pod.spec.containers as PodContainer[]) : [];
	const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
	const container =
		containers.find(candidate => candidate.name === component) ??
		containers.find(candidate => strings(candidate.command).some(word => posix.basename(word) === component));
	if (!container) throw new ConfigError('--kubeadm', `${manifest} has no ${component} container`, 'give --endpoints and the TLS flags instead');
	const records = (value: unknown): Array<Record<string, unknown>> => (Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : []);
	const hostPaths = new Map<string, string>();
	for (const volume of records(pod.spec?.volumes)) {
		const path = (volume['hostPath'] as {path?: unknown} | undefined)?.path;
		if (typeof volume['name'] === 'string' && typeof path === 'string') hostPaths.set(volume['name'], path);
	}
	const hostMounts = records(container.volumeMounts).flatMap(mount => {
		const {name, mountPath} = mount;
		const hostPath = typeof name === 'string' ? hostPaths.get(name) : undefined;
		return typeof name === 'string' && typeof mountPath === 'string' && hostPath !== undefined ? [{name, mountPath, hostPath}] : [];
	});
	return {argv: [...strings(container.command), ...strings(container.args)], hostMounts};
}

/** The hostPath volume that holds `dataDir` (the deepest mount at or above it). */
export function dataVolumeOf(spec: PodSpec, dataDir: string | undefined): DataVolume | undefined {
	if (dataDir === undefined || !posix.isAbsolute(dataDir)) return undefined;
	const dir = posix.normalize(dataDir).replace(/(.)\/$/, '$1');
	const holding = spec.hostMounts
		.map(mount => ({...mount, mountPath: posix.normalize(mount.mountPath).replace(/(.)\/$/, '$1')}))
		.filter(mount => dir === mount.mountPath || dir.startsWith(mount.mountPath === '/' ? '/' : `${mount.mountPath}/`))
		.sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
	if (!holding) return undefined;
	return {name: holding.name, hostPath: holding.hostPath, mountPath: holding.mountPath, hostDataDir: posix.join(holding.hostPath, posix.relative(holding.mountPath, dir)) || holding.hostPath};
}

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** `root` + a node path: `/etc/kubernetes/pki/etcd/ca.crt` under `/tmp/cp1` is `/tmp/cp1/etc/kubernetes/pki/etcd/ca.crt`. */
export function underRoot(root: string, path: string): string {
	return root === '/' || !posix.isAbsolute(path) ? path : posix.join(root, path);
}

export interface DetectOptions {
	/** `/` on the node itself, or the `--kubeadm DIR`. */
	readonly root: string;
	readonly read: NodeReader;
	/** Says how to run the same command as root, for a file only root may read. */
	readonly sudoHint: string;
	/** The whole fix for a file only root may read, when `run it as root: sudoHint` does not fit (a remote node). */
	readonly rootFix?: string;
	/** Where the files are (the --via host), for messages. */
	readonly where?: string;
	/** Told every path about to be read, so that a remote reader fetches them in one round trip. */
	readonly prefetch?: (paths: readonly string[]) => Promise<void>;
}

function unreadable(path: string, error: unknown, options: DetectOptions): never {
	const code = errnoOf(error);
	const on = options.where ? ` on ${options.where}` : '';
	if (code === 'EACCES' || code === 'EPERM') {
		throw new ConfigError('--kubeadm', `${path}${on} is readable only by root (permission denied)`, options.rootFix ?? `run it as root: ${options.sudoHint}`);
	}
	if (code === 'ENOENT') throw new ConfigError('--kubeadm', `${path}${on} does not exist`, 'give --kubeadm the directory that stands for / on the node, or --endpoints and the TLS flags');
	throw new ConfigError('--kubeadm', `${path}${on} cannot be read (${(error as Error).message})`, 'give --endpoints and the TLS flags instead');
}

/** The text of `path`, undefined when it does not exist; any other failure is a ConfigError. */
async function readOptional(path: string, options: DetectOptions): Promise<string | undefined> {
	try {
		return await options.read(path);
	} catch (error) {
		if (errnoOf(error) === 'ENOENT') return undefined;
		return unreadable(path, error, options);
	}
}

async function exists(path: string, options: DetectOptions): Promise<boolean> {
	return (await readOptional(path, options)) !== undefined;
}

/**
 * Reads the node's kubeadm manifests under `root`. Undefined when neither manifest exists (not a kubeadm
 * control-plane node); a manifest that is there but unreadable or wrong is a ConfigError (exit 3).
 */
export async function detectKubeadm(options: DetectOptions): Promise<KubeadmDetection | undefined> {
	const {root} = options;
	const etcdManifest = underRoot(root, kubeadmEtcdManifest);
	await options.prefetch?.([etcdManifest, underRoot(root, kubeadmApiserverManifest)]);
	const etcdText = await readOptional(etcdManifest, options);
	if (etcdText !== undefined) return fromEtcdPod(etcdText, etcdManifest, options);
	const apiserverManifest = underRoot(root, kubeadmApiserverManifest);
	const apiserverText = await readOptional(apiserverManifest, options);
	if (apiserverText !== undefined) return fromApiserver(apiserverText, apiserverManifest, options);
	return undefined;
}

async function fromEtcdPod(text: string, manifest: string, options: DetectOptions): Promise<KubeadmDetection> {
	const spec = podSpec(text, manifest, 'etcd', (await import('./yaml.js')).parseYaml);
	const flags = commandFlags(spec.argv);
	const at = (path: string | undefined) => (path === undefined ? undefined : underRoot(options.root, path));
	const endpoints = list(flags.get('advertise-client-urls')).length > 0 ? list(flags.get('advertise-client-urls')) : list(flags.get('listen-client-urls'));
	if (endpoints.length === 0) throw new ConfigError('--kubeadm', `${manifest} gives etcd neither --advertise-client-urls nor --listen-client-urls`, 'give --endpoints');
	const serverCertFile = flags.get('cert-file');
	const serverKeyFile = flags.get('key-file');
	const caFile = flags.get('trusted-ca-file');
	const pkiDir = serverCertFile ? posix.dirname(serverCertFile) : caFile ? posix.dirname(caFile) : undefined;
	// kubeadm: pki/etcd/healthcheck-client (made for exactly this), else pki/apiserver-etcd-client (one level
	// up), else the server's own pair, which kubeadm signs for client auth too.
	const candidates: Array<readonly [string, string]> = [];
	if (pkiDir) {
		candidates.push([posix.join(pkiDir, 'healthcheck-client.crt'), posix.join(pkiDir, 'healthcheck-client.key')]);
		candidates.push([posix.join(posix.dirname(pkiDir), 'apiserver-etcd-client.crt'), posix.join(posix.dirname(pkiDir), 'apiserver-etcd-client.key')]);
	}
	if (serverCertFile && serverKeyFile) candidates.push([serverCertFile, serverKeyFile]);
	const isHttps = endpoints.some(endpoint => endpoint.startsWith('https:'));
	if (isHttps) await options.prefetch?.([...(caFile === undefined ? [] : [at(caFile)!]), ...candidates.flatMap(([cert, key]) => [at(cert)!, at(key)!])]);
	let pair: readonly [string, string] | undefined;
	for (const candidate of isHttps ? candidates : []) {
		if ((await exists(at(candidate[0])!, options)) && (await exists(at(candidate[1])!, options))) {
			pair = candidate;
			break;
		}
	}
	if (isHttps && caFile === undefined) throw new ConfigError('--kubeadm', `${manifest} serves https but names no --trusted-ca-file`, 'give --cacert');
	if (isHttps && caFile !== undefined && !(await exists(at(caFile)!, options))) unreadable(at(caFile)!, Object.assign(new Error('missing'), {code: 'ENOENT'}), options);
	const detection: KubeadmDetection = {
		root: options.root,
		source: 'etcd-pod',
		manifest,
		endpoints,
		caFile: isHttps ? at(caFile) : undefined,
		certFile: pair ? at(pair[0]) : undefined,
		keyFile: pair ? at(pair[1]) : undefined,
		dataDir: flags.get('data-dir'),
		metricsUrls: list(flags.get('listen-metrics-urls')),
		memberName: flags.get('name'),
		serverCertFile,
		serverKeyFile,
		peerCertFile: flags.get('peer-cert-file'),
		peerKeyFile: flags.get('peer-key-file'),
		trustedCaFile: caFile,
		peerTrustedCaFile: flags.get('peer-trusted-ca-file'),
		clientCertAuth: flags.get('client-cert-auth'),
		peerClientCertAuth: flags.get('peer-client-cert-auth'),
		pkiDir,
		nodeClientFiles: {caFile: isHttps ? caFile : undefined, certFile: pair?.[0], keyFile: pair?.[1]},
		dataVolume: dataVolumeOf(spec, flags.get('data-dir')),
		filesUsed: [manifest, ...(isHttps ? [at(caFile)!] : []), ...(pair ? [at(pair[0])!, at(pair[1])!] : [])],
	};
	return Object.freeze(detection);
}

async function fromApiserver(text: string, manifest: string, options: DetectOptions): Promise<KubeadmDetection> {
	const flags = commandFlags(podSpec(text, manifest, 'kube-apiserver', (await import('./yaml.js')).parseYaml).argv);
	const at = (path: string | undefined) => (path === undefined ? undefined : underRoot(options.root, path));
	const endpoints = list(flags.get('etcd-servers'));
	if (endpoints.length === 0) throw new ConfigError('--kubeadm', `${manifest} has no --etcd-servers (and there is no ${underRoot(options.root, kubeadmEtcdManifest)})`, 'give --endpoints');
	const nodeClientFiles = {caFile: flags.get('etcd-cafile'), certFile: flags.get('etcd-certfile'), keyFile: flags.get('etcd-keyfile')};
	const [caFile, certFile, keyFile] = [at(nodeClientFiles.caFile), at(nodeClientFiles.certFile), at(nodeClientFiles.keyFile)];
	await options.prefetch?.([caFile, certFile, keyFile].filter((file): file is string => file !== undefined));
	for (const file of [caFile, certFile, keyFile]) if (file !== undefined && !(await exists(file, options))) unreadable(file, Object.assign(new Error('missing'), {code: 'ENOENT'}), options);
	return Object.freeze({
		root: options.root,
		source: 'apiserver',
		manifest,
		endpoints,
		caFile,
		certFile,
		keyFile,
		dataDir: undefined,
		metricsUrls: [],
		memberName: undefined,
		serverCertFile: undefined,
		serverKeyFile: undefined,
		peerCertFile: undefined,
		peerKeyFile: undefined,
		trustedCaFile: undefined,
		peerTrustedCaFile: undefined,
		clientCertAuth: undefined,
		peerClientCertAuth: undefined,
		pkiDir: undefined,
		nodeClientFiles,
		dataVolume: undefined,
		filesUsed: [manifest, ...[caFile, certFile, keyFile].filter((file): file is string => file !== undefined)],
	} satisfies KubeadmDetection);
}

/** The one line that says what was detected and from which files. */
export function describeDetection(detection: KubeadmDetection, where?: string): string {
	const kind = detection.source === 'etcd-pod' ? 'the etcd static pod' : 'kube-apiserver (external etcd)';
	const member = detection.memberName ? ` member ${detection.memberName},` : '';
	return `etcdtop: kubeadm${where ? ` on ${where}` : ''}: ${kind},${member} endpoints ${detection.endpoints.join(',')}; read ${detection.filesUsed.join(', ')}`;
}

type Env = Readonly<Record<string, string | undefined>>;

export interface KubeadmFlags {
	readonly kubeadm?: string;
	readonly endpoints?: string;
}

/**
 * Whether to look for kubeadm at all: always with --kubeadm DIR, else only when neither --endpoints nor
 * ETCDCTL_ENDPOINTS says where etcd is. Returns the root to look under, or undefined.
 */
export function kubeadmRoot(flags: KubeadmFlags, env: Env, isRemote = false): string | undefined {
	if (flags.kubeadm !== undefined) {
		if (flags.kubeadm.trim() === '') throw new ConfigError('--kubeadm', 'the directory is empty', 'give the directory that stands for / on the node (it holds etc/kubernetes/manifests)');
		// On the --via host a relative DIR is the SSH user's (relative to its home), not this host's working directory.
		return isRemote ? posix.normalize(flags.kubeadm).replace(/(.)\/$/, '$1') : posix.resolve(flags.kubeadm);
	}
	const isPlaced = flags.endpoints !== undefined || (env['ETCDCTL_ENDPOINTS'] ?? '') !== '';
	return isPlaced ? undefined : '/';
}

/** The detected endpoints as the --endpoints flag, under whatever the operator gave (a flag or ETCDCTL_ENDPOINTS wins). */
export function withKubeadm<T extends KubeadmFlags>(flags: T, env: Env, detection: KubeadmDetection): T {
	if (flags.endpoints !== undefined || (env['ETCDCTL_ENDPOINTS'] ?? '') !== '') return flags;
	return {...flags, endpoints: detection.endpoints.join(',')};
}

/**
 * The client TLS files detection found, for buildConfig (which uses each one the operator did not give):
 * where each was read (under --kubeadm DIR), the node's own path for printed commands, and, read on the
 * --via host, the bytes as read there (`remote`), never this host's file of the same name.
 */
export function kubeadmTlsFiles(detection: KubeadmDetection, remote?: ReadonlyMap<string, Buffer>): DetectedTlsFiles {
	const node = detection.nodeClientFiles;
	const file = (path: string | undefined, nodePath: string | undefined): DetectedTlsFile | undefined => {
		if (path === undefined) return undefined;
		const bytes = remote?.get(path);
		return {path, nodePath: nodePath ?? path, ...(bytes ? {bytes} : {})};
	};
	const [cacert, cert, key] = [file(detection.caFile, node.caFile), file(detection.certFile, node.certFile), file(detection.keyFile, node.keyFile)];
	return {...(cacert ? {cacert} : {}), ...(cert ? {cert} : {}), ...(key ? {key} : {})};
}

const isLoopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || /^127\./.test(host);
const isUnspecifiedHost = (host: string) => host === '0.0.0.0' || host === '[::]';

/**
 * The member's metrics URL from the pod's --listen-metrics-urls (kubeadm's plain-http `127.0.0.1:2381`),
 * by member name, for Config.metrics.urls. A listener on every address is read at the host of the member's
 * client URL. A loopback listener is the node's own: it is read only where the node is this host or the
 * --via host (whose tunnels dial from the node), or where the member's client URL is loopback too; for a
 * copy of another node's files it would be this host's port, so the client URL's /metrics is read instead.
 */
export function kubeadmMetricsUrls(detection: KubeadmDetection, isOnNode: boolean): ReadonlyMap<string, string> {
	const urls = new Map<string, string>();
	const name = detection.memberName;
	if (detection.source !== 'etcd-pod' || name === undefined) return urls;
	const client = (() => {
		try {
			return new URL(detection.endpoints[0] ?? '');
		} catch {
			return undefined;
		}
	})();
	for (const text of detection.metricsUrls) {
		let url: URL;
		try {
			url = new URL(text);
		} catch {
			continue;
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
		if (isUnspecifiedHost(url.hostname)) {
			if (!client) continue;
			url.hostname = client.hostname;
		} else if (isLoopbackHost(url.hostname) && !isOnNode && !(client && isLoopbackHost(client.hostname))) {
			continue;
		}
		if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrics';
		urls.set(name, url.href);
		break;
	}
	return urls;
}

/** The etcd static pod as a restore plan needs it (snapshot/restore-plan.ts KubeadmLayout), for an etcd pod's manifest only. */
export interface KubeadmRestoreLayout {
	readonly manifest: string;
	readonly readFrom: string | undefined;
	readonly apiserverManifest: string;
	readonly dataDir: string;
	readonly dataVolume?: DataVolume;
}

export function kubeadmRestoreLayout(detection: KubeadmDetection | undefined): KubeadmRestoreLayout | undefined {
	if (detection?.source !== 'etcd-pod' || detection.dataDir === undefined) return undefined;
	return {
		manifest: kubeadmEtcdManifest,
		readFrom: detection.memberName,
		apiserverManifest: kubeadmApiserverManifest,
		dataDir: detection.dataDir,
		...(detection.dataVolume ? {dataVolume: detection.dataVolume} : {}),
	};
}
