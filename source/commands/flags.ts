import {durationRanges, rangeText} from '../config/duration.js';
// Every flag etcdtop takes, declared once: its type, how it is written, its default and meaning. Commands
// (commands/table.ts) list the flags they take by key, so the parser, `etcdtop --help`, `etcdtop COMMAND
// --help` and the readme's flag table all come from here. A flag a command does not list is exit 3.

/** Where a flag is listed in `etcdtop --help`. */
export const flagSections = {
	connection: 'Connection (each also read from its ETCDCTL_* variable; a flag wins)',
	ssh: 'SSH (reach etcd through a bastion; TLS to etcd stays end to end)',
	console: 'Console and status',
	snapshots: 'Snapshots (console pane 2 and the snapshot commands)',
	s3: 'S3 (FILE or DIR may be s3://BUCKET/KEY or s3://BUCKET/PREFIX/; credentials as the AWS CLI reads them)',
	member: 'member (every change is checked against quorum first; that check cannot be skipped)',
	maintenance: 'Maintenance (defrag, compact, alarm, check consistency, usage, snapshot inspect)',
} as const;

export type FlagSection = keyof typeof flagSections;

export interface FlagSpec {
	/** The name meow hands over, when it is not the key (two spellings of one boolean). */
	readonly name?: string;
	readonly type: 'string' | 'boolean';
	readonly isMultiple?: boolean;
	readonly shortFlag?: string;
	/** How it is written, when not --kebab-case of the name: `--no-discover` for a boolean that defaults on. */
	readonly spelling?: string;
	/** The value's placeholder in help: FILE, DURATION, N. */
	readonly value?: string;
	/** The default, as the readme's table shows it (markdown); empty when there is none. */
	readonly default?: string;
	/** One line, markdown: the readme's table shows it as it is, help without the backticks. */
	readonly help: string;
	readonly section: FlagSection;
}

function flag<const T extends FlagSpec>(spec: T): T {
	return spec;
}

export const flagSpecs = {
	endpoints: flag({type: 'string', value: 'LIST', default: '`127.0.0.1:2379`', section: 'connection', help: 'comma-separated; `host:port` or `http(s)://host:port` (bare ones become https when TLS files are given)'}),
	cacert: flag({type: 'string', value: 'FILE', section: 'connection', help: 'CA bundle that verifies the members\' certificates'}),
	cert: flag({type: 'string', value: 'FILE', section: 'connection', help: 'client certificate (with `--key`; both or neither)'}),
	key: flag({type: 'string', value: 'FILE', section: 'connection', help: 'client key (with `--cert`)'}),
	user: flag({type: 'string', value: 'NAME[:PASSWORD]', section: 'connection', help: '`name` or `name:password`; prefer `ETCDCTL_PASSWORD` or the no-echo prompt to a password in argv'}),
	password: flag({type: 'string', value: 'PASSWORD', section: 'connection', help: 'the password; visible to other users in the process list until etcdtop renames its process, so prefer `ETCDCTL_PASSWORD`'}),
	insecureSkipTlsVerify: flag({type: 'boolean', default: 'off', section: 'connection', help: 'do not verify the members\' certificates'}),
	dialTimeout: flag({type: 'string', value: 'DURATION', default: '`2s`', section: 'connection', help: `connection timeout; ${rangeText(durationRanges.dialTimeout)}`}),
	commandTimeout: flag({type: 'string', value: 'DURATION', default: '`5s`', section: 'connection', help: `timeout of one command (member changes, the auth token exchange); ${rangeText(durationRanges.commandTimeout)}`}),
	kubeadm: flag({type: 'string', value: 'DIR', default: '`/` when its manifest is there', section: 'connection', help: 'read the etcd static pod (`/etc/kubernetes/manifests/etcd.yaml`; external etcd: `kube-apiserver.yaml`) under DIR instead of `/` (on the `--via` host, read over SSH, with `--via`): endpoints, CA, a client certificate from the pki dir, data dir, metrics listener, member name; flags and `ETCDCTL_*` still win. Without it this happens on a control-plane node when neither `--endpoints` nor `ETCDCTL_ENDPOINTS` is given'}),
	via: flag({type: 'string', value: '[user@]host[:port]', section: 'ssh', help: '`[user@]host[:port]` or a `~/.ssh/config` alias: carry every etcd connection (polls, member list, snapshots, member changes) through this SSH host, and run `--start-command` through it; TLS stays end to end'}),
	sshIdentity: flag({type: 'string', value: 'FILE', default: 'agent, then config', section: 'ssh', help: 'private key for SSH (OpenSSH or PEM); an encrypted key asks for its passphrase without echo'}),
	sshKnownHosts: flag({type: 'string', value: 'FILE', default: '`~/.ssh/known_hosts`', section: 'ssh', help: 'host keys to trust (plain, hashed and `[host]:port` entries)'}),
	sshAcceptNew: flag({type: 'boolean', default: 'off', section: 'ssh', help: 'record an unknown host\'s key on first use, like OpenSSH\'s accept-new; a changed key is always refused'}),
	sshHost: flag({type: 'string', isMultiple: true, value: 'NAME=[user@]host[:port]', default: 'peer URL host', section: 'ssh', help: '`NAME=[user@]host[:port]`, repeatable: where a member\'s remote commands run (reached through the `--via` host when there is one)'}),
	interval: flag({type: 'string', value: 'DURATION', default: '`1s`', section: 'console', help: `poll period (\`+\`/\`-\` change it in the console); halfway between polls each member is checked for an answer; also read from \`ETCDTOP_INTERVAL\`; ${rangeText(durationRanges.interval)}`}),
	probeTimeout: flag({type: 'string', value: 'DURATION', default: '`1s`', section: 'console', help: `deadline of one member's status call: what a hung member costs; also read from \`ETCDTOP_PROBE_TIMEOUT\`; ${rangeText(durationRanges.probeTimeout)}`}),
	metricsUrls: flag({type: 'string', value: 'NAME=URL,…', section: 'console', help: 'where member NAME\'s `/metrics` are read (e.g. its plain-http `--listen-metrics-urls`; a URL without a path is read at `/metrics`); the others at their client URL`/metrics` with the same TLS and client certificate, through `--via` too'}),
	metricsEvery: flag({type: 'string', value: 'DURATION', default: '`5s`', section: 'console', help: `how often the console reads each member's \`/metrics\` (its own loop: a slow \`/metrics\` delays no poll); \`0\` turns reading metrics off; else ${rangeText(durationRanges.metricsEvery)}`}),
	metricsWindow: flag({type: 'string', value: 'DURATION', default: '`30s` (console), lifetime (`status`)', section: 'console', help: `span of the FSYNC/COMMIT/RTT p99s: the console's window; \`status\` reads \`/metrics\` twice this far apart instead of reporting lifetime percentiles; ${rangeText(durationRanges.metricsWindow)}`}),
	readOnly: flag({type: 'boolean', default: 'off', section: 'console', help: 'no action that changes the cluster; the header shows RO'}),
	discover: flag({type: 'boolean', spelling: '--no-discover', default: 'discover on', section: 'console', help: 'watch only `--endpoints`; by default every member in the member list is watched through its client URLs, like etcdctl\'s `--cluster`'}),
	writeOut: flag({type: 'string', shortFlag: 'w', value: 'FORMAT', default: '`table`', section: 'console', help: 'output format: `table`, `json`, `simple` (`restore-plan`: `table`, `json`)'}),
	members: flag({type: 'string', value: 'N', default: '`3`', section: 'console', help: 'size of the `demo` cluster (1 to 9)'}),
	snapshotDir: flag({type: 'string', value: 'DIR', default: '`$XDG_DATA_HOME/etcdtop/snapshots`', section: 'snapshots', help: 'where the Snapshots pane lists and saves (an `s3://BUCKET/PREFIX/` is listed beside the local directory, and saves go to it); `snapshot save` with no FILE writes a timestamped file here, and a bare FILE name (no `/`) goes here when this flag is given'}),
	keep: flag({type: 'string', value: 'N', default: 'keep all', section: 'snapshots', help: 'after each successful save (and for `snapshot prune`) keep the newest N snapshots etcdtop wrote there (a file whose `.meta.json` names it and whose size and sha256 still match it; never the newest verified one; any other file is left and reported)'}),
	keepPolicy: flag({type: 'string', value: 'TIER=N,…', default: 'keep all', section: 'snapshots', help: 'tiered retention, e.g. `hourly=24,daily=7,weekly=4` (tiers `hourly`, `daily`, `weekly`, `monthly`, UTC): the newest snapshot of each of the N most recent periods that have one; with `--keep`, either keeps'}),
	snapshotEvery: flag({type: 'string', value: 'DURATION', default: 'off', section: 'snapshots', help: `save into \`--snapshot-dir\` (a directory or \`s3://…\`) on this schedule (e.g. \`6h\`) while the console runs, pruning by \`--keep\`/\`--keep-policy\`; elsewhere run \`snapshot save --keep N\` from cron or a systemd timer; ${rangeText(durationRanges.snapshotEvery)}`}),
	encryptTo: flag({type: 'string', isMultiple: true, value: 'RECIPIENT', section: 'snapshots', help: 'age X25519 recipient (`age1…`), repeatable: writes `FILE.age`, no plaintext on disk'}),
	encryptPassphrase: flag({type: 'boolean', default: 'off', section: 'snapshots', help: 'encrypt with an age passphrase from `ETCDTOP_SNAPSHOT_PASSPHRASE` or a no-echo prompt (never argv)'}),
	identity: flag({type: 'string', isMultiple: true, value: 'FILE', section: 'snapshots', help: 'age identity file that opens `FILE.age` for status and verify, repeatable'}),
	from: flag({type: 'string', value: 'NAME|ID', default: 'best voter', section: 'snapshots', help: 'member a snapshot is taken from (name or hex ID); default the reachable voter with the highest applied index'}),
	overwrite: flag({type: 'boolean', default: 'off', section: 'snapshots', help: 'let `snapshot save` replace an existing file'}),
	s3Endpoint: flag({type: 'string', value: 'URL', default: '`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, AWS', section: 's3', help: 'S3-compatible endpoint (MinIO, Ceph, …), `http(s)://host[:port]`; credentials come from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, `AWS_PROFILE` or `~/.aws/credentials`, never argv; region from `AWS_REGION` or `~/.aws/config`'}),
	s3PathStyle: flag({type: 'boolean', default: 'on with a custom endpoint', section: 's3', help: 'path-style addressing (`http://host/BUCKET/KEY`), which MinIO and most S3-compatible stores want; `--no-s3-path-style` for virtual-host style'}),
	dataDir: flag({type: 'string', value: 'DIR', default: 'kubeadm: its data dir + `-restored`', section: 'snapshots', help: 'each member\'s new data dir (`{name}` is replaced by the member\'s name); needed unless a kubeadm manifest says where etcd keeps its data'}),
	tool: flag({type: 'string', value: 'NAME', default: 'by version', section: 'snapshots', help: '`etcdctl` (3.4) or `etcdutl` (3.5+); etcd 3.6 has no `etcdctl snapshot restore`, so `etcdctl` is refused there (exit 3)'}),
	newName: flag({type: 'string', value: 'NAME', section: 'member', help: 'name of the replacement (letters, digits, `.`, `_`, `-`; no other member may have it)'}),
	newPeerUrl: flag({type: 'string', value: 'URL', section: 'member', help: 'its peer URL(s), comma-separated `http(s)://host:port`, used by no other member'}),
	newClientUrl: flag({type: 'string', value: 'URL', section: 'member', help: 'its client URL(s); without it you set the client URLs when you start it'}),
	peerUrl: flag({type: 'string', value: 'URL', section: 'member', help: 'the new member\'s peer URL(s), comma-separated, used by no other member'}),
	clientUrl: flag({type: 'string', value: 'URL', section: 'member', help: 'the new member\'s client URL(s)'}),
	noLearner: flag({name: 'learner', type: 'boolean', spelling: '--no-learner', default: 'learner', section: 'member', help: 'add the new member as a voter at once instead of a learner promoted once in sync'}),
	learner: flag({type: 'boolean', default: 'voter', section: 'member', help: 'add a learner (as etcdctl, add makes a voter by default)'}),
	startCommand: flag({type: 'string', value: 'CMD', section: 'member', help: 'shell line run over SSH on the new member\'s host with what `etcdctl member add` prints in its environment (`ETCD_NAME`, `ETCD_INITIAL_CLUSTER`, `ETCD_INITIAL_ADVERTISE_PEER_URLS`, `ETCD_INITIAL_CLUSTER_STATE=existing`); it passes the listen/advertise URL flags itself and must return once etcd runs. Without it etcdtop prints the settings (as env, etcd flags and kubeadm manifest lines) and waits for you'}),
	yes: flag({type: 'boolean', default: 'ask', section: 'member', help: 'no typed confirmation before a member is removed; the quorum check still applies and cannot be skipped'}),
	waitTimeout: flag({type: 'string', value: 'DURATION', default: '`5m`', section: 'member', help: `bound of each wait: the new member starting, catching up, every voter answering; ${rangeText(durationRanges.waitTimeout)}`}),
	commandLog: flag({type: 'string', value: 'FILE', section: 'member', help: 'append every change and remote command, with its etcdctl equivalent, to this file'}),
	compact: flag({type: 'boolean', default: 'off', section: 'maintenance', help: '`defrag`: first compact to the current revision (physical)'}),
	disarm: flag({type: 'boolean', default: 'off', section: 'maintenance', help: '`defrag`: then disarm NOSPACE (never CORRUPT), once every member\'s database is below 90% of its quota'}),
	rule: flag({type: 'string', value: 'EXPR', default: 'every voter', section: 'maintenance', help: '`defrag`: which members to defragment, e.g. `dbSize > 100MiB && dbSizeFree/dbSize > 0.5`; the language is in the readme (Maintenance)'}),
	dryRun: flag({type: 'boolean', default: 'off', section: 'maintenance', help: '`defrag`: preflight and plan only, nothing is changed; `snapshot prune`: list what retention would remove, remove nothing'}),
	revision: flag({type: 'string', value: 'N', default: 'current', section: 'maintenance', help: '`compact`: the revision to compact to'}),
	keepRevisions: flag({type: 'string', value: 'N', section: 'maintenance', help: '`compact`: keep the newest N revisions (compact to current - N)'}),
	quotaBackendBytes: flag({type: 'string', value: 'BYTES', default: 'from Status or /metrics', section: 'maintenance', help: 'the members\' `--quota-backend-bytes` (`8589934592`, `8GiB`), when etcd does not report it (Status in 3.6, else each member\'s /metrics)'}),
	prefix: flag({type: 'string', value: 'P', default: 'every key', section: 'maintenance', help: '`usage`: only keys starting with P'}),
	depth: flag({type: 'string', value: 'N', default: '`3`', section: 'maintenance', help: '`usage`, `snapshot inspect`: group keys by their first N path segments (`3`: `/registry/<resource>/<namespace>/`)'}),
} as const satisfies Record<string, FlagSpec>;

export type FlagKey = keyof typeof flagSpecs;

type Specs = typeof flagSpecs;
type NameOf<K extends FlagKey> = Specs[K] extends {readonly name: infer N extends string} ? N : K;
type ValueOf<S> = S extends {readonly type: 'boolean'} ? boolean : S extends {readonly isMultiple: true} ? readonly string[] : string;

/** The flags as the parser hands them to a command; undefined means "not given". */
export type ParsedFlags = {readonly [K in FlagKey as NameOf<K>]?: ValueOf<Specs[K]>};

/** Groups that several commands take, declared once. */
export const connectionFlags = ['endpoints', 'cacert', 'cert', 'key', 'user', 'password', 'insecureSkipTlsVerify', 'dialTimeout', 'commandTimeout', 'kubeadm'] as const satisfies readonly FlagKey[];
export const sshFlags = ['via', 'sshIdentity', 'sshKnownHosts', 'sshAcceptNew', 'sshHost'] as const satisfies readonly FlagKey[];
export const memberChangeFlags = ['readOnly', 'probeTimeout', 'waitTimeout', 'commandLog'] as const satisfies readonly FlagKey[];
export const maintenanceChangeFlags = ['readOnly', 'probeTimeout', 'waitTimeout', 'commandLog'] as const satisfies readonly FlagKey[];
export const snapshotWriteFlags = ['snapshotDir', 'keep', 'keepPolicy', 'encryptTo', 'encryptPassphrase', 's3Endpoint', 's3PathStyle'] as const satisfies readonly FlagKey[];
export const s3Flags = ['s3Endpoint', 's3PathStyle'] as const satisfies readonly FlagKey[];
export const metricsFlags = ['metricsUrls', 'metricsEvery', 'metricsWindow'] as const satisfies readonly FlagKey[];

/** The name meow uses for a flag key. */
export function nameOf(key: FlagKey): string {
	const spec: FlagSpec = flagSpecs[key];
	return spec.name ?? key;
}

/** "insecureSkipTlsVerify" -> "--insecure-skip-tls-verify". */
export function kebabFlag(name: string): string {
	return `--${name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)}`;
}

/** How a flag key is written on the command line. */
export function spellingOf(key: FlagKey): string {
	const spec: FlagSpec = flagSpecs[key];
	return spec.spelling ?? kebabFlag(key);
}

/** The flags in meow's form: one entry per name (two spellings of one boolean share it). */
export function meowFlags(): Record<string, {type: 'string' | 'boolean'; isMultiple?: boolean; shortFlag?: string}> {
	const out: Record<string, {type: 'string' | 'boolean'; isMultiple?: boolean; shortFlag?: string}> = {};
	for (const key of Object.keys(flagSpecs) as FlagKey[]) {
		const spec: FlagSpec = flagSpecs[key];
		out[nameOf(key)] = {type: spec.type, ...(spec.isMultiple ? {isMultiple: true} : {}), ...(spec.shortFlag ? {shortFlag: spec.shortFlag} : {})};
	}
	return out;
}
