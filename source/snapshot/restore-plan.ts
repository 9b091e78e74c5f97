import type {MemberInfo} from '../etcd/types.js';
import {wrapWords} from '../model/format.js';
import {manifestHashes, type SnapshotEntry} from '../model/snapshot-entry.js';
import {isVersionAtLeast} from '../model/version-notes.js';
import {isShownEscaped} from '../model/visible-text.js';
import {quotePrintedArg, quotePrintedArgv} from '../ssh/quote.js';

export type RestoreTool = 'etcdctl' | 'etcdutl';

/** A member as the plan needs it, from the live member list or the snapshot's manifest. */
export type PlanMember = Pick<MemberInfo, 'name' | 'peerUrls' | 'clientUrls' | 'isLearner'>;

export interface RestorePlanInput {
	/** The snapshot as each member host will see it (copy it there first). */
	readonly snapshotPath: string;
	/** FILE.age: decrypt on the member host right before the restore. */
	readonly isEncrypted: boolean;
	/** The new data dir; `{name}` is replaced by the member's name (several members on one host). */
	readonly dataDir: string;
	readonly members: readonly PlanMember[];
	readonly etcdVersion: string | undefined;
	readonly tool?: RestoreTool;
	/** A fresh --initial-cluster-token, so the restored members never join the old cluster's peers. */
	readonly token: string;
	readonly membersFrom: 'live' | 'manifest';
	/** s3://BUCKET/KEY: each member host fetches (and verifies) the snapshot to snapshotPath first. */
	readonly fetchFrom?: string;
	/** How the check step's etcdctl reaches the restored members: TLS files as the member hosts name them, the user (never a password). */
	readonly client?: PlanClient;
	/** etcd is kubeadm's static pod: stopped and started by moving its manifest, pointed at the new data dir. */
	readonly kubeadm?: KubeadmLayout;
	/** Which member answered the live member list, and how it was read. */
	readonly listFrom?: ListSource;
}

export interface PlanClient {
	readonly cacert?: string;
	readonly cert?: string;
	readonly key?: string;
	readonly user?: string;
}

/** A member list's source in words (model/observation.ts memberListSource): a serializable read may be stale. */
export interface ListSource {
	readonly text: string;
	readonly isLinearizable: boolean;
}

/**
 * The etcd static pod as kubeadm lays it out on a control-plane node (every node alike): its manifest
 * in kubelet's manifests directory, the data dir on a hostPath volume.
 */
export interface KubeadmLayout {
	/** The manifest that was read (node path), and on which member's node, for the notes. */
	readonly manifest: string;
	readonly readFrom: string | undefined;
	readonly apiserverManifest: string;
	/** The pod's --data-dir (inside the pod). */
	readonly dataDir: string;
	/** The hostPath volume that holds it; undefined: --data-dir itself is changed. */
	readonly dataVolume?: {readonly name: string; readonly hostPath: string; readonly mountPath: string; readonly hostDataDir: string};
}

export interface PlanStep {
	readonly member?: string;
	readonly argv?: readonly string[];
	/** argv quoted for a POSIX shell, by the one quoting function. */
	readonly command?: string;
	readonly text?: string;
}

export interface PlanPhase {
	readonly title: string;
	readonly steps: readonly PlanStep[];
}

export interface RestorePlan {
	readonly tool: RestoreTool;
	/** How etcd is stopped, pointed at the restored data and started: kubeadm's static pod, or by hand. */
	readonly layout: 'kubeadm' | 'plain';
	readonly token: string;
	readonly membersFrom: 'live' | 'manifest';
	readonly phases: readonly PlanPhase[];
	readonly notes: readonly string[];
}

/** etcdutl from 3.5 (etcdctl's restore is deprecated there and gone in 3.6); etcdctl for 3.4 and older. */
export function toolForVersion(version: string | undefined): RestoreTool {
	return isVersionAtLeast(version, 3, 5) ? 'etcdutl' : 'etcdctl';
}

/** etcd 3.6 removed `etcdctl snapshot restore` and `snapshot status` (etcdutl has them since 3.5). */
export function hasEtcdctlRestore(version: string | undefined): boolean {
	return isVersionAtLeast(version, 3, 6) !== true;
}

export function dataDirFor(template: string, name: string): string {
	return template.replaceAll('{name}', name);
}

export function initialClusterOf(members: readonly PlanMember[]): string {
	return members.flatMap(member => member.peerUrls.map(url => `${member.name}=${url}`)).join(',');
}

export function decryptedPathOf(path: string): string {
	return path.endsWith('.age') ? path.slice(0, -'.age'.length) : `${path}.decrypted`;
}

export function restoreArgv(tool: RestoreTool, snapshot: string, member: PlanMember, initialCluster: string, token: string, dataDir: string): string[] {
	return [
		tool,
		'snapshot',
		'restore',
		snapshot,
		'--name',
		member.name,
		'--initial-cluster',
		initialCluster,
		'--initial-cluster-token',
		token,
		'--initial-advertise-peer-urls',
		member.peerUrls.join(','),
		'--data-dir',
		dataDir,
	];
}

export function startArgv(member: PlanMember, dataDir: string): string[] {
	const peers = member.peerUrls.join(',');
	const clients = member.clientUrls.join(',');
	return [
		'etcd',
		'--name',
		member.name,
		'--data-dir',
		dataDir,
		'--listen-peer-urls',
		peers,
		'--initial-advertise-peer-urls',
		peers,
		'--listen-client-urls',
		clients,
		'--advertise-client-urls',
		clients,
	];
}

const step = (member: string | undefined, argv: readonly string[]): PlanStep => ({...(member ? {member} : {}), argv, command: quotePrintedArgv(argv, isShownEscaped)});

/** etcdctl's connection flags for the check step: the endpoints, TLS files and user (never a password). */
export function checkArgv(endpoints: readonly string[], client: PlanClient | undefined, command: readonly string[]): string[] {
	const flags: string[] = ['--endpoints', endpoints.join(',')];
	if (client?.cacert) flags.push('--cacert', client.cacert);
	if (client?.cert) flags.push('--cert', client.cert);
	if (client?.key) flags.push('--key', client.key);
	if (client?.user) flags.push('--user', client.user);
	return ['etcdctl', ...flags, ...command];
}

/** A manifest moved out of kubelet's directory: kubelet stops its pod, and starts it again once it is back. */
export function stoppedPathOf(manifest: string): string {
	const slash = manifest.lastIndexOf('/');
	const directory = manifest.slice(0, slash);
	const parent = directory.slice(0, directory.lastIndexOf('/')) || '/';
	return `${parent === '/' ? '' : parent}/${manifest.slice(slash + 1)}.stopped`;
}

/** Paths a printed sed script may carry as they are (a `.` escaped): anything else is left to the operator's editor. */
const isPlainPath = (path: string) => /^\/[\w./+@:,=~-]*$/.test(path);
const sedPattern = (path: string) => path.replaceAll('.', '\\.');

/**
 * How one member's moved-aside manifest comes to use `newDir`: the data volume's hostPath becomes it (and
 * --data-dir the mount itself when it was below it); without a hostPath volume, --data-dir becomes it.
 * In words for everyone, and as a sed line when every path is plain.
 */
function pointAtSteps(member: string, layout: KubeadmLayout, stopped: string, newDir: string): PlanStep[] {
	const volume = layout.dataVolume;
	const edits: Array<{readonly from: string; readonly to: string; readonly script: string}> = [];
	if (volume) {
		edits.push({from: `the ${volume.name} volume's hostPath path: ${volume.hostPath}`, to: `path: ${newDir}`, script: `s#^\\( *path: *\\)${sedPattern(volume.hostPath)}/* *$#\\1${newDir}#`});
		if (layout.dataDir !== volume.mountPath) edits.push({from: `--data-dir=${layout.dataDir}`, to: `--data-dir=${volume.mountPath}`, script: `s#--data-dir=${sedPattern(layout.dataDir)} *$#--data-dir=${volume.mountPath}#`});
	} else {
		edits.push({from: `--data-dir=${layout.dataDir}`, to: `--data-dir=${newDir}`, script: `s#--data-dir=${sedPattern(layout.dataDir)} *$#--data-dir=${newDir}#`});
	}
	const keeps = volume && layout.dataDir === volume.mountPath ? ` (--data-dir stays ${layout.dataDir} inside the pod)` : '';
	const steps: PlanStep[] = [{member, text: `in ${stopped}: ${edits.map(edit => `${edit.from} becomes ${edit.to}`).join('; ')}${keeps}`}];
	const paths = [volume?.hostPath, volume?.mountPath, layout.dataDir, newDir, stopped].filter((path): path is string => path !== undefined);
	if (paths.every(isPlainPath)) steps.push(step(member, ['sed', '-i', ...edits.flatMap(edit => ['-e', edit.script]), stopped]));
	return steps;
}

/**
 * The restore, in the runbook's order (Kubernetes "Operating etcd clusters": stop all API servers, restore
 * state in all etcd instances, restart all API servers): every command as argv, built here and quoted once.
 * On kubeadm (seed 001): static pods stop when their manifests leave kubelet's directory, the snapshot is
 * restored into a new data dir (the old one stays), the manifest is pointed at it and moved back.
 */
export function buildRestorePlan(input: RestorePlanInput): RestorePlan {
	const tool = input.tool ?? toolForVersion(input.etcdVersion);
	const notes: string[] = [];
	const voters = input.members.filter(member => !member.isLearner && member.name !== '' && member.peerUrls.length > 0);
	const skipped = input.members.filter(member => !voters.includes(member));
	for (const member of skipped) {
		notes.push(
			member.isLearner
				? `${member.name || member.peerUrls.join(',')} is a learner: it is not restored; add it again with etcdctl member add --learner afterwards`
				: `a member with peer URLs ${member.peerUrls.join(',') || '(none)'} has no name yet (never started): it is not restored`,
		);
	}
	const initialCluster = initialClusterOf(voters);
	const snapshot = input.isEncrypted ? decryptedPathOf(input.snapshotPath) : input.snapshotPath;
	const kubeadm = input.kubeadm;
	const phases: PlanPhase[] = [];
	if (kubeadm) {
		const apiserverStopped = stoppedPathOf(kubeadm.apiserverManifest);
		const etcdStopped = stoppedPathOf(kubeadm.manifest);
		phases.push(
			{
				title: 'Stop every API server (kubelet stops a static pod whose manifest leaves its directory)',
				steps: [...voters.map(member => step(member.name, ['mv', kubeadm.apiserverManifest, apiserverStopped])), {text: 'and stop any other writer of this etcd'}],
			},
			{
				title: 'Stop etcd on every member (the old data dir stays where it is)',
				steps: [...voters.map(member => step(member.name, ['mv', kubeadm.manifest, etcdStopped])), {text: 'wait until kubelet has stopped it on every node: crictl ps --name etcd lists nothing'}],
			},
		);
	} else {
		phases.push(
			{title: 'Stop every API server that uses this cluster', steps: [{text: 'stop all kube-apiserver instances (e.g. move /etc/kubernetes/manifests/kube-apiserver.yaml aside on every control-plane node) and any other writer'}]},
			{title: 'Stop etcd on every member', steps: voters.map(member => ({member: member.name, text: `stop etcd on ${member.name} (systemctl stop etcd, or move its static pod manifest aside) and move its old data dir out of the way`}))},
		);
	}
	if (input.fetchFrom !== undefined) {
		const keyArgs = input.isEncrypted ? ['--identity', 'KEY_FILE'] : [];
		phases.push({
			title: 'Fetch the snapshot onto every member host (downloaded, verified, then written)',
			steps: voters.map(member => step(member.name, ['etcdtop', 'snapshot', 'fetch', input.fetchFrom!, input.snapshotPath, ...keyArgs])),
		});
	}
	if (input.isEncrypted) {
		phases.push({
			title: 'Decrypt the snapshot on every member host (the plaintext exists only for the restore)',
			steps: voters.map(member => step(member.name, ['age', '--decrypt', '--identity', 'KEY_FILE', '--output', snapshot, input.snapshotPath])),
		});
	}
	phases.push({
		title: `Restore every member into a new data dir with ${tool} (it must not exist yet)`,
		steps: voters.map(member => step(member.name, restoreArgv(tool, snapshot, member, initialCluster, input.token, dataDirFor(input.dataDir, member.name)))),
	});
	const endpoints = voters.flatMap(member => member.clientUrls);
	if (kubeadm) {
		const etcdStopped = stoppedPathOf(kubeadm.manifest);
		phases.push(
			{title: 'Point every member\'s etcd manifest at its restored data dir', steps: voters.flatMap(member => pointAtSteps(member.name, kubeadm, etcdStopped, dataDirFor(input.dataDir, member.name)))},
			{title: 'Start etcd on every member (kubelet starts the pod once its manifest is back)', steps: voters.map(member => step(member.name, ['mv', etcdStopped, kubeadm.manifest]))},
		);
	} else {
		phases.push({title: 'Start etcd on every member', steps: voters.map(member => step(member.name, startArgv(member, dataDirFor(input.dataDir, member.name))))});
	}
	phases.push({title: 'Check the restored cluster', steps: [step(undefined, checkArgv(endpoints, input.client, ['endpoint', 'health'])), step(undefined, checkArgv(endpoints, input.client, ['endpoint', 'status', '-w', 'table']))]});
	if (kubeadm) {
		phases.push({
			title: 'Restart every API server',
			steps: [
				...voters.map(member => step(member.name, ['mv', stoppedPathOf(kubeadm.apiserverManifest), kubeadm.apiserverManifest])),
				{text: 'then restart kube-scheduler, kube-controller-manager and kubelet so none relies on stale data'},
			],
		});
	} else {
		phases.push({title: 'Restart every API server', steps: [{text: 'start all kube-apiserver instances again, then restart kube-scheduler, kube-controller-manager and kubelet so none relies on stale data'}]});
	}
	if (input.isEncrypted) notes.push(`remove ${snapshot} from every host once the members are up: it is the unencrypted database`);
	if (input.membersFrom === 'manifest') notes.push('members come from the snapshot manifest: the cluster did not answer; check the URLs still fit the hosts');
	const from = input.listFrom;
	if (input.membersFrom === 'live' && from && !from.isLinearizable) {
		notes.push(`${from.text} (a member cut off from the others answers what it last knew): compare it with etcdctl member list before you restore`);
	}
	if (kubeadm) {
		notes.push(`etcd is kubeadm's static pod (read from ${kubeadm.manifest}${kubeadm.readFrom ? ` on ${kubeadm.readFrom}` : ''}): every control-plane node is taken to be laid out the same way; check each node's manifest before you edit it`);
		notes.push(`the old data dir (${kubeadm.dataVolume?.hostDataDir ?? kubeadm.dataDir}) is left as it was: remove it only once the restored cluster is healthy`);
		if (tool === 'etcdutl') notes.push('etcdutl ships with etcd 3.5+ (and in its image, registry.k8s.io/etcd): use the one of the cluster\'s version on each node');
	} else {
		notes.push('in a static pod or systemd unit, put the same --data-dir and URLs in the existing configuration instead of running etcd by hand');
	}
	return {tool, layout: kubeadm ? 'kubeadm' : 'plain', token: input.token, membersFrom: input.membersFrom, phases, notes};
}

/** Where the Snapshots pane's plan restores to without kubeadm: `snapshot restore-plan … --data-dir DIR` prints yours. */
const paneDataDir = '/var/lib/etcd-restored';

/** A kubeadm node's new data dir when none is given: beside the one its manifest names (the old one stays). */
export function restoredDataDirOf(layout: KubeadmLayout): string {
	return `${(layout.dataVolume?.hostDataDir ?? layout.dataDir).replace(/(.)\/$/, '$1')}-restored`;
}

/** What the console knows of how its etcd runs: kubeadm's static pod, and the check's TLS files and user. */
export interface PlanContext {
	readonly kubeadm?: KubeadmLayout;
	readonly client?: PlanClient;
}

/**
 * The plan the Snapshots pane shows for a file or object, from its manifest alone (undefined without
 * one). An object is planned as `snapshot restore-plan s3://…` plans it: fetched (and verified) on every
 * host first. On a kubeadm node (`context`) it is kubeadm's, as `snapshot restore-plan` prints it there.
 */
export function manifestRestorePlan(entry: SnapshotEntry, context: PlanContext = {}): RestorePlan | undefined {
	const manifest = entry.manifest;
	if (!manifest) return undefined;
	const remote = entry.remote;
	return buildRestorePlan({
		snapshotPath: remote ? (remote.key.split('/').pop() ?? entry.name) : entry.path,
		...(remote ? {fetchFrom: remote.url} : {}),
		isEncrypted: entry.isEncrypted,
		dataDir: context.kubeadm ? restoredDataDirOf(context.kubeadm) : paneDataDir,
		members: manifest.members,
		etcdVersion: manifest.etcdVersion,
		// Shown for reading: `etcdtop snapshot restore-plan` makes a fresh token for the real run.
		token: `etcd-restore-${manifestHashes(manifest).etcdSha256.slice(0, 8)}`,
		membersFrom: 'manifest',
		...(context.client ? {client: context.client} : {}),
		...(context.kubeadm ? {kubeadm: context.kubeadm} : {}),
	});
}

/** The plan as text for a terminal: numbered phases, one command per member. */
export function renderRestorePlan(plan: RestorePlan): string {
	const lines: string[] = [];
	plan.phases.forEach((phase, index) => {
		lines.push(`${index + 1}. ${phase.title}`);
		for (const entry of phase.steps) {
			const prefix = entry.member ? `   [${entry.member}] ` : '   ';
			lines.push(`${prefix}${entry.command ?? entry.text ?? ''}`);
		}
	});
	if (plan.notes.length > 0) {
		lines.push('Notes');
		for (const note of plan.notes) lines.push(`   - ${note}`);
	}
	return lines.join('\n');
}

/**
 * A command broken only between its words (a flag stays with its value), each line but the last
 * ending in " \", so that copied lines paste as the one command. A word wider than a line (a long
 * --initial-cluster) is cut after a comma where it can be, else where it must, with a "\" and
 * continued at the very start of the next line, where the shell joins it back (a backslash-newline is
 * removed inside an unquoted word; a quoted word is never cut).
 */
export function wrapCommand(prefix: string, argv: readonly string[], width: number): string[] {
	const indent = ' '.repeat(Math.min(prefix.length + 2, 12));
	const words = argv.map(word => quotePrintedArg(word, isShownEscaped));
	const units: string[] = [];
	for (let index = 0; index < words.length; index++) {
		const word = words[index]!;
		const value = words[index + 1];
		const isPair = word.startsWith('--') && !word.includes('=') && value !== undefined && !value.startsWith('-');
		units.push(isPair ? `${word} ${value}` : word);
		if (isPair) index++;
	}
	const lines: string[] = [];
	let line = prefix;
	for (const unit of units) {
		const isLineStart = line === prefix || line.trim() === '';
		const next = isLineStart ? `${line}${unit}` : `${line} ${unit}`;
		// Room for the " \" that ends a line that goes on.
		if (next.length + 2 <= width || isLineStart) {
			line = next;
		} else {
			lines.push(`${line} \\`);
			line = `${indent}${unit}`;
		}
		while (line.length > width && !unit.includes("'")) {
			const room = line.slice(0, width - 1);
			const comma = room.lastIndexOf(',');
			const cut = comma > line.length - unit.length ? comma + 1 : width - 1;
			lines.push(`${line.slice(0, cut)}\\`);
			line = line.slice(cut);
		}
	}
	lines.push(line);
	return lines;
}
/** The plan for a screen `width` wide: renderRestorePlan's text, commands wrapped by wrapCommand. */
export function restorePlanLines(plan: RestorePlan, width: number): string[] {
	const lines: string[] = [];
	plan.phases.forEach((phase, index) => {
		lines.push(...wrapWords(`${index + 1}. ${phase.title}`, width, '   '));
		for (const entry of phase.steps) {
			const prefix = entry.member ? `   [${entry.member}] ` : '   ';
			if (entry.argv) lines.push(...wrapCommand(prefix, entry.argv, width));
			else lines.push(...wrapWords(`${prefix}${entry.text ?? ''}`, width));
		}
	});
	if (plan.notes.length > 0) {
		lines.push('Notes');
		for (const note of plan.notes) lines.push(...wrapWords(`   - ${note}`, width, '     '));
	}
	return lines;
}

/** The Snapshots pane's plan for `entry` in lines `width` wide (SnapshotPaneStore.restorePlanLines); none without a manifest. */
export function manifestRestorePlanLines(entry: SnapshotEntry, width: number, context: PlanContext = {}): readonly string[] {
	const plan = manifestRestorePlan(entry, context);
	return plan ? restorePlanLines(plan, width) : [];
}
