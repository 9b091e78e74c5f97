import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import type {Config} from '../../source/config/config.js';
import {ConfigError} from '../../source/config/errors.js';
import {buildConfig} from '../../source/config/config.js';
import {detectKubeadm, kubeadmRestoreLayout, kubeadmTlsFiles, withKubeadm, type KubeadmDetection, type NodeReader} from '../../source/config/kubeadm.js';
import {restoreCheckClient} from '../../source/config/printed-client.js';
import {parseYaml} from '../../source/config/yaml.js';
import {snapshotRestorePlanCommand} from '../../source/commands/snapshot-restore-plan.js';
import {settingsContextOf} from '../../source/console/member-ops.js';
import {startSettings} from '../../source/ops/commands.js';
import {emptyDataDirPlaceholder, startSettingsLines} from '../../source/ops/member-settings.js';
import {buildRestorePlan, renderRestorePlan, type KubeadmLayout, type RestorePlan} from '../../source/snapshot/restore-plan.js';
import {SnapshotStore} from '../../source/console/snapshot-store.js';
import {paneManifest} from '../helpers/fixtures.js';
import {makeTestPki} from '../helpers/tls.js';

// The restore plan and a replacement's printed lines on a kubeadm node: what the manifest said (the data dir
// on its hostPath volume, the client TLS files as the node names them), never a placeholder.

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/kubeadm/${name}`, import.meta.url)), 'utf8');
const testPki = makeTestPki();
after(() => testPki.remove());
const pem = (file: string) => readFileSync(file, 'utf8');
function node(files: Record<string, string>): NodeReader {
	return async path => {
		const content = files[path];
		if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), {code: 'ENOENT'});
		return content;
	};
}
const pki = (root: string): Record<string, string> => ({
	[`${root}/etc/kubernetes/pki/etcd/ca.crt`]: pem(testPki.caFile),
	[`${root}/etc/kubernetes/pki/etcd/server.crt`]: pem(testPki.serverCertFile),
	[`${root}/etc/kubernetes/pki/etcd/server.key`]: pem(testPki.serverKeyFile),
	[`${root}/etc/kubernetes/pki/etcd/healthcheck-client.crt`]: pem(testPki.clientCertFile),
	[`${root}/etc/kubernetes/pki/etcd/healthcheck-client.key`]: pem(testPki.clientKeyFile),
});

async function detected(manifest: string, root = '/tmp/cp1-copy'): Promise<KubeadmDetection> {
	return (await detectKubeadm({root, read: node({[`${root}/etc/kubernetes/manifests/etcd.yaml`]: manifest, ...pki(root)}), sudoHint: 'sudo etcdtop'}))!;
}

/** The Config commands/context.ts builds on that node (--kubeadm DIR): kubeadm's endpoints and TLS files, and `user`. */
function kubeadmConfig(detection: KubeadmDetection, user?: string): Config {
	const files = pki(detection.root);
	const config = buildConfig({...withKubeadm({}, {}, detection), ...(user ? {user} : {})}, {}, path => Buffer.from(files[path] ?? assert.fail(`read ${path}`)), kubeadmTlsFiles(detection));
	return {...config, kubeadm: detection};
}

const members = [1, 2, 3].map(index => ({name: `cp${index}`, peerUrls: [`https://10.0.0.1${index}:2380`], clientUrls: [`https://10.0.0.1${index}:2379`], isLearner: false}));
const nodeTls = {cacert: '/etc/kubernetes/pki/etcd/ca.crt', cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', key: '/etc/kubernetes/pki/etcd/healthcheck-client.key'};

function planFor(kubeadm: KubeadmLayout | undefined, dataDir = '/var/lib/etcd-restored', etcdVersion = '3.5.30'): RestorePlan {
	return buildRestorePlan({snapshotPath: '/root/snap.db', isEncrypted: false, dataDir, members, etcdVersion, token: 'etcd-restore-t', membersFrom: 'live', client: {...nodeTls, user: 'root'}, ...(kubeadm ? {kubeadm} : {})});
}

const phase = (plan: RestorePlan, title: RegExp) => plan.phases.find(candidate => title.test(candidate.title))!;
const argvs = (plan: RestorePlan, title: RegExp) => phase(plan, title).steps.flatMap(step => (step.argv ? [step.argv] : []));

/** Runs a printed sed step on a copy of `manifest` (the real sed: its script is what the operator pastes). */
function sedOn(manifest: string, argv: readonly string[]): string {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-sed-'));
	try {
		const file = join(dir, 'etcd.yaml.stopped');
		writeFileSync(file, manifest);
		const result = spawnSync(argv[0]!, [...argv.slice(1, -1), file], {encoding: 'utf8'});
		assert.equal(result.status, 0, result.stderr);
		return readFileSync(file, 'utf8');
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

function podOf(text: string) {
	const pod = parseYaml(text) as {spec: {containers: Array<{command: string[]}>; volumes: Array<{name: string; hostPath: {path: string}}>}};
	return {command: pod.spec.containers[0]!.command, hostPaths: Object.fromEntries(pod.spec.volumes.map(volume => [volume.name, volume.hostPath.path]))};
}

test('the detection keeps the data dir\'s hostPath volume and the client files as the node names them (not re-rooted)', async () => {
	const detection = await detected(fixture('etcd-1.27.yaml'));
	assert.deepEqual(detection.dataVolume, {name: 'etcd-data', hostPath: '/var/lib/etcd', mountPath: '/var/lib/etcd', hostDataDir: '/var/lib/etcd'});
	assert.deepEqual(detection.nodeClientFiles, {caFile: nodeTls.cacert, certFile: nodeTls.cert, keyFile: nodeTls.key});
	assert.equal(detection.certFile, '/tmp/cp1-copy/etc/kubernetes/pki/etcd/healthcheck-client.crt', 'read under DIR');
	// A data dir below its mount, on another host directory.
	const below = fixture('etcd-1.27.yaml').replace('--data-dir=/var/lib/etcd', '--data-dir=/var/lib/etcd/data').replace('path: /var/lib/etcd\n', 'path: /mnt/disk1/etcd\n');
	assert.deepEqual((await detected(below)).dataVolume, {name: 'etcd-data', hostPath: '/mnt/disk1/etcd', mountPath: '/var/lib/etcd', hostDataDir: '/mnt/disk1/etcd/data'});
	// No volumes in the manifest: none.
	assert.equal((await detected(fixture('etcd-1.34.yaml'))).dataVolume, undefined);
});

test('kubeadm restore plan: manifests moved out and back, etcdutl into a new data dir, the hostPath pointed at it by a sed that works, the check with the node\'s TLS files', async () => {
	const manifest = fixture('etcd-1.27.yaml');
	const layout = kubeadmRestoreLayout(await detected(manifest))!;
	assert.equal(layout.readFrom, 'cp1');
	const plan = planFor(layout);
	assert.equal(plan.layout, 'kubeadm');
	assert.equal(plan.tool, 'etcdutl');
	assert.deepEqual(argvs(plan, /^Stop every API server/)[0], ['mv', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/kube-apiserver.yaml.stopped']);
	assert.deepEqual(argvs(plan, /^Stop etcd/).map(argv => argv.join(' ')), Array(3).fill('mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/etcd.yaml.stopped'));
	assert.ok(phase(plan, /^Stop etcd/).steps.every(step => step.argv || /kubelet has stopped it/.test(step.text ?? '')));
	const restores = argvs(plan, /^Restore/);
	assert.deepEqual(restores.map(argv => [argv[0], argv.at(-2), argv.at(-1)]), Array(3).fill(['etcdutl', '--data-dir', '/var/lib/etcd-restored']));
	const point = phase(plan, /^Point/).steps;
	assert.match(point[0]!.text!, /in \/etc\/kubernetes\/etcd\.yaml\.stopped: the etcd-data volume's hostPath path: \/var\/lib\/etcd becomes path: \/var\/lib\/etcd-restored \(--data-dir stays \/var\/lib\/etcd inside the pod\)/);
	const sed = point[1]!.argv!;
	assert.equal(sed.at(-1), '/etc/kubernetes/etcd.yaml.stopped');
	const edited = sedOn(manifest, sed);
	const before = podOf(manifest);
	const after = podOf(edited);
	assert.deepEqual(after.hostPaths, {...before.hostPaths, 'etcd-data': '/var/lib/etcd-restored'}, 'only the data volume moves');
	assert.deepEqual(after.command, before.command);
	assert.deepEqual(argvs(plan, /^Start etcd/)[0], ['mv', '/etc/kubernetes/etcd.yaml.stopped', '/etc/kubernetes/manifests/etcd.yaml']);
	const check = argvs(plan, /^Check/);
	assert.deepEqual(check[0], ['etcdctl', '--endpoints', members.map(member => member.clientUrls[0]).join(','), '--cacert', nodeTls.cacert, '--cert', nodeTls.cert, '--key', nodeTls.key, '--user', 'root', 'endpoint', 'health']);
	assert.deepEqual(argvs(plan, /^Restart every API server/)[0], ['mv', '/etc/kubernetes/kube-apiserver.yaml.stopped', '/etc/kubernetes/manifests/kube-apiserver.yaml']);
	const text = renderRestorePlan(plan);
	assert.match(text, /etcd is kubeadm's static pod \(read from \/etc\/kubernetes\/manifests\/etcd\.yaml on cp1\)/);
	assert.match(text, /the old data dir \(\/var\/lib\/etcd\) is left as it was/);
	assert.doesNotMatch(text, /systemctl|KEY_FILE|EMPTY|etcd --name/);
	// 3.4: the same flow, restored with etcdctl (etcdutl came with 3.5).
	assert.ok(argvs(planFor(layout, '/var/lib/etcd-restored', '3.4.23'), /^Restore/).every(argv => argv[0] === 'etcdctl'));
});

test('a data dir below its mount: the hostPath and --data-dir both change; without a hostPath volume, --data-dir; an unusual path: words only', async () => {
	const manifest = fixture('etcd-1.27.yaml').replace('--data-dir=/var/lib/etcd', '--data-dir=/var/lib/etcd/data').replace('path: /var/lib/etcd\n', 'path: /mnt/disk1/etcd\n');
	const layout = kubeadmRestoreLayout(await detected(manifest))!;
	const plan = planFor(layout, '/mnt/disk1/etcd-restored');
	const after = podOf(sedOn(manifest, phase(plan, /^Point/).steps[1]!.argv!));
	assert.equal(after.hostPaths['etcd-data'], '/mnt/disk1/etcd-restored');
	assert.ok(after.command.includes('--data-dir=/var/lib/etcd'), after.command.join(' '));

	const bare = kubeadmRestoreLayout(await detected(fixture('etcd-1.34.yaml')))!;
	const noVolume = planFor(bare);
	const edited = podOf(sedOn(fixture('etcd-1.27.yaml'), phase(noVolume, /^Point/).steps[1]!.argv!));
	assert.ok(edited.command.includes('--data-dir=/var/lib/etcd-restored'));

	const spaced = planFor(layout, '/mnt/disk 1/etcd restored');
	const steps = phase(spaced, /^Point/).steps;
	assert.equal(steps.filter(step => step.argv).length, 0, 'no sed for a path it would have to escape');
	assert.match(steps[0]!.text!, /becomes path: \/mnt\/disk 1\/etcd restored/);
});

test('a plain plan checks with the TLS files and user given (never a password) and says when its member list may be stale', () => {
	const plan = buildRestorePlan({
		snapshotPath: '/b/snap.db',
		isEncrypted: false,
		dataDir: '/var/lib/etcd-restored',
		members,
		etcdVersion: '3.5.30',
		token: 't',
		membersFrom: 'live',
		client: {cacert: '/etc/etcd/ca.pem', user: 'root'},
		listFrom: {text: 'member list read from cp2 (serializable): it may be stale', isLinearizable: false},
	});
	assert.equal(plan.layout, 'plain');
	assert.deepEqual(argvs(plan, /^Check/)[0]!.slice(3, 7), ['--cacert', '/etc/etcd/ca.pem', '--user', 'root']);
	assert.ok(argvs(plan, /^Start etcd/).every(argv => argv[0] === 'etcd'));
	assert.match(plan.notes.join('\n'), /^member list read from cp2 \(serializable\): it may be stale \(a member cut off from the others answers what it last knew\): compare it with etcdctl member list before you restore$/m);
	const linearizable = buildRestorePlan({snapshotPath: '/b/snap.db', isEncrypted: false, dataDir: '/d', members, etcdVersion: '3.5.30', token: 't', membersFrom: 'live', listFrom: {text: 'member list read from cp2 (linearizable: the cluster\'s current list)', isLinearizable: true}});
	assert.doesNotMatch(linearizable.notes.join('\n'), /serializable/);
});

test('the check step\'s files: kubeadm\'s as the node names them, from the Config, and the user, never a password', async () => {
	const detection = await detected(fixture('etcd-1.27.yaml'));
	const config = kubeadmConfig(detection, 'root:secret');
	assert.deepEqual(restoreCheckClient(config), {...nodeTls, user: 'root'});
	assert.doesNotMatch(JSON.stringify(restoreCheckClient(config)), /secret/);
	assert.deepEqual(restoreCheckClient(undefined), {});
});

/**
 * `snapshot restore-plan` against one member answering as etcd `version` (fake routes), a placeholder FILE;
 * `run` gets the command with its printed JSON plan.
 */
async function withPlanCommand(version: string, config: Config, run: (plan: (dataDir: string | undefined, tool?: string, configOf?: Config) => Promise<RestorePlan>) => Promise<void>): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-plan-'));
	const file = join(dir, 'snap.db');
	writeFileSync(file, 'not read by the plan');
	const member = {id: '8e9e05c52164694d', name: 'cp1', peerUrls: ['https://10.0.0.11:2380'], clientUrls: ['https://10.0.0.11:2379'], isLearner: false};
	const status = {clusterId: 'ff', memberId: member.id, revision: 1, raftTerm: 2, version, dbSize: 1, dbSizeInUse: 1, leader: member.id, raftIndex: 5, raftAppliedIndex: 5, errors: [], alarms: [], isLearner: false};
	const routes = {client: () => ({memberList: async () => ({clusterId: 'ff', members: [member]}), status: async () => status, close: () => undefined}), close: async () => undefined};
	try {
		await run(async (dataDir, tool, configOf = config) => {
			const out: string[] = [];
			const code = await snapshotRestorePlanCommand(async () => configOf, file, {dataDir, format: 'json', tool, routes: routes as never}, {out: line => out.push(line), err: () => undefined});
			assert.equal(code, 0);
			return JSON.parse(out.join('\n')) as RestorePlan;
		});
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

const planConfig = {endpoints: ['https://10.0.0.11:2379'], tls: undefined, auth: undefined, dialTimeoutMs: 100, commandTimeoutMs: 100, intervalMs: 1000, probeTimeoutMs: 100, isReadOnly: false, isDiscovering: false} satisfies Config;

test('snapshot restore-plan on a kubeadm node: the data dir defaults beside the detected one, the plan is kubeadm\'s, the list\'s source is named', async () => {
	const detection = await detected(fixture('etcd-1.27.yaml'));
	await withPlanCommand('3.5.30', kubeadmConfig(detection), async planned => {
		const plan = await planned(undefined);
		assert.equal(plan.layout, 'kubeadm');
		assert.deepEqual(argvs(plan, /^Restore/)[0]!.slice(-2), ['--data-dir', '/var/lib/etcd-restored']);
		assert.deepEqual(argvs(plan, /^Check/)[0]!.slice(3, 9), ['--cacert', nodeTls.cacert, '--cert', nodeTls.cert, '--key', nodeTls.key]);
		assert.match(plan.notes.join('\n'), /member list read from cp1 \(serializable\): it may be stale/);
		// Without kubeadm nothing says where the data goes: --data-dir is needed (exit 3).
		await assert.rejects(planned(undefined, undefined, planConfig), (error: unknown) => error instanceof ConfigError && /--data-dir/.test(error.message));
	});
});

test('a new member\'s settings name the detected data dir in every form, or one named placeholder, explained, when nothing was detected', async () => {
	const settings = startSettings(members.map((member, index) => ({...member, id: `a${index}`})), {name: 'cp4', peerUrls: ['https://10.0.0.14:2380'], clientUrls: []});
	const placeholder = startSettingsLines(settings, {hasStartCommand: false});
	const etcdLines = placeholder.filter(line => line.trim().startsWith('etcd '));
	assert.equal(etcdLines.length, 2, 'the environment form and the flags form');
	assert.ok(etcdLines.every(line => line.trim().endsWith(`--data-dir=${emptyDataDirPlaceholder}`)), etcdLines.join('\n'));
	assert.ok(placeholder.some(line => line.includes(`${emptyDataDirPlaceholder}: the new member's data dir on its host`)));
	assert.doesNotMatch(placeholder.join('\n'), /EMPTY_DIR\b/);

	const detection = await detected(fixture('etcd-1.27.yaml'));
	const lines = startSettingsLines(settings, {hasStartCommand: false, context: settingsContextOf(detection)});
	const detectedLines = lines.filter(line => line.trim().startsWith('etcd '));
	assert.ok(detectedLines.every(line => line.trim().endsWith('--data-dir=/var/lib/etcd')), detectedLines.join('\n'));
	assert.ok(lines.includes('    - --data-dir=/var/lib/etcd'));
	assert.doesNotMatch(lines.join('\n'), new RegExp(emptyDataDirPlaceholder));
});

test('the console\'s Snapshots pane plans as restore-plan does: kubeadm\'s way on a kubeadm node, with the node\'s data dir and TLS files', async () => {
	const detection = await detected(fixture('etcd-1.27.yaml'));
	const config = {endpoints: ['https://10.0.0.11:2379'], tls: undefined, auth: undefined, dialTimeoutMs: 100, commandTimeoutMs: 100, intervalMs: 1000, probeTimeoutMs: 100, isReadOnly: false, isDiscovering: false} satisfies Config;
	const entry = {name: 'a.db', path: '/snaps/a.db', fileSize: 1000, modifiedAt: 0, isEncrypted: false, manifest: paneManifest('a.db', 900, 0)};
	const store = (withKubeadm: boolean) => new SnapshotStore({directory: '/snaps', config: withKubeadm ? kubeadmConfig(detection) : config, keep: undefined, everyMs: undefined, recipients: [], decryptKeys: {identityFiles: [], passphrase: undefined}});
	const lines = store(true).restorePlanLines(entry, 300).join('\n');
	assert.match(lines, /mv \/etc\/kubernetes\/manifests\/etcd\.yaml \/etc\/kubernetes\/etcd\.yaml\.stopped/);
	assert.match(lines, /--data-dir \/var\/lib\/etcd-restored/);
	assert.match(lines, /--cacert \/etc\/kubernetes\/pki\/etcd\/ca\.crt --cert \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt/);
	assert.doesNotMatch(lines, /\/tmp\/cp1-copy/, 'node paths, not where they were read');
	const plain = store(false).restorePlanLines(entry, 300).join('\n');
	assert.doesNotMatch(plain, /etcd\.yaml\.stopped|--cacert/);
	assert.match(plain, /systemctl stop etcd/);
});

test('restore-plan on etcd 3.6: etcdutl by version, and --tool etcdctl is refused (3.6 removed etcdctl snapshot restore), exit 3', async () => {
	await withPlanCommand('3.6.5', planConfig, async planned => {
		assert.equal((await planned('/d')).tool, 'etcdutl');
		await assert.rejects(planned('/d', 'etcdctl'), (error: unknown) => error instanceof ConfigError && /--tool.*etcd 3\.6\.5 has no etcdctl snapshot restore/.test(error.message));
	});
});
