import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {cliPath, runCli} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {paneRestorePlan} from '../helpers/snapshots-pane.js';
import {TmuxSession} from '../helpers/tmux.js';
import {makeTestPki} from '../helpers/tls.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';
import {etcdBinary} from '../helpers/etcd-binaries.js';
import {snapshotTool} from '../helpers/snapshot-fixtures.js';
import {parseYaml} from '../../source/config/yaml.js';

// A 3-member TLS cluster laid out as kubeadm lays out a control-plane node, under a temporary root:
// DIR/etc/kubernetes/pki/etcd/{ca,server,healthcheck-client}.{crt,key} and the etcd static pod's manifest,
// whose paths are the node's (/etc/kubernetes/...). `etcdtop --kubeadm DIR` alone must find it all.
const pki = makeTestPki();
const root = mkdtempSync(join(tmpdir(), 'etcdtop-kubeadm-'));
const pkiDir = join(root, 'etc/kubernetes/pki/etcd');
mkdirSync(pkiDir, {recursive: true});
mkdirSync(join(root, 'etc/kubernetes/manifests'), {recursive: true});
copyFileSync(pki.caFile, join(pkiDir, 'ca.crt'));
copyFileSync(pki.serverCertFile, join(pkiDir, 'server.crt'));
copyFileSync(pki.serverKeyFile, join(pkiDir, 'server.key'));
copyFileSync(pki.clientCertFile, join(pkiDir, 'healthcheck-client.crt'));
copyFileSync(pki.clientKeyFile, join(pkiDir, 'healthcheck-client.key'));
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
	pki.remove();
	rmSync(root, {recursive: true, force: true});
});

const cluster = await startCluster({members: 3, isServingMetrics: true, tls: {caFile: join(pkiDir, 'ca.crt'), certFile: join(pkiDir, 'server.crt'), keyFile: join(pkiDir, 'server.key')}});
const self = cluster.members[0]!;
const port = new URL(self.clientUrl).port;
writeFileSync(
	join(root, 'etc/kubernetes/manifests/etcd.yaml'),
	`apiVersion: v1
kind: Pod
metadata:
  labels:
    component: etcd
    tier: control-plane
  name: etcd-${self.name}
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=${self.clientUrl}
    - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    - --client-cert-auth=true
    - --data-dir=/var/lib/etcd
    - --feature-gates=InitialCorruptCheck=true
    - --key-file=/etc/kubernetes/pki/etcd/server.key
    - --listen-client-urls=https://127.0.0.1:${port}
    - --listen-metrics-urls=${self.metricsUrl!}
    - --name=${self.name}
    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    image: registry.k8s.io/etcd:3.5.30-0
    name: etcd
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: /etc/kubernetes/pki/etcd
      name: etcd-certs
  hostNetwork: true
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
`,
);

// The members found in the list are each dialled afresh, TLS handshake included, within the probe timeout:
// at load > 12 on 2 cores a handshake outlasts the default 1 s. Given as the variable, so that --kubeadm
// stays the only flag.
const generousProbe = {ETCDTOP_PROBE_TIMEOUT: '10s'};

test('status --kubeadm DIR with no other flag finds every member over TLS, healthy, and says which files it read', async () => {
	const result = await runCli(['status', '-w', 'json', '--kubeadm', root], {env: generousProbe});
	assert.equal(result.code, 0, result.stderr + result.stdout);
	const json = JSON.parse(result.stdout) as {cluster: {state: string}; members: Array<{name: string; endpoint: string; reachable: boolean}>};
	assert.equal(json.cluster.state, 'healthy');
	assert.deepEqual(json.members.map(member => member.name).sort(), ['etcd-1', 'etcd-2', 'etcd-3']);
	assert.ok(json.members.every(member => member.reachable && member.endpoint.startsWith('https://')), result.stdout);
	const said = result.stderr.split('\n').filter(line => line.includes('kubeadm'));
	assert.equal(said.length, 1, result.stderr);
	assert.match(said[0]!, /^etcdtop: kubeadm: the etcd static pod, member etcd-1, endpoints https:\/\/127\.0\.0\.1:\d+; read .*etc\/kubernetes\/manifests\/etcd\.yaml, .*pki\/etcd\/ca\.crt, .*pki\/etcd\/healthcheck-client\.crt, .*healthcheck-client\.key$/);

	// A flag still wins: a wrong CA given by hand is used, and fails as TLS.
	const wrong = await runCli(['status', '-w', 'json', '--kubeadm', root, '--cacert', pki.otherCaFile]);
	assert.equal(wrong.code, 2, wrong.stderr + wrong.stdout);
	// A DIR with no manifest: exit 3, naming what is missing.
	const empty = mkdtempSync(join(tmpdir(), 'etcdtop-kubeadm-empty-'));
	const none = await runCli(['status', '--kubeadm', empty]);
	rmSync(empty, {recursive: true, force: true});
	assert.equal(none.code, 3);
	assert.match(none.stderr, /--kubeadm.*holds neither \.\/etc\/kubernetes\/manifests\/etcd\.yaml nor/);
});

test('the console with --kubeadm DIR alone shows the cluster healthy', {timeout: 120_000}, async () => {
	const session = TmuxSession.start([process.execPath, cliPath, '--kubeadm', root]);
	sessions.push(session);
	const screen = await session.waitFor(text => /HEALTHY/.test(text) && ['etcd-1', 'etcd-2', 'etcd-3'].every(name => new RegExp(`${name}\\s+ok`).test(text)), 60_000);
	assert.match(screen, /leader etcd-\d/);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(15_000), 0);
});

test('snapshot restore-plan --kubeadm DIR: the kubeadm way with the node\'s files and data dir; its check, restore and manifest edit run as printed (node paths read under DIR)', {timeout: 120_000}, async () => {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-kubeadm-plan-'));
	try {
		const file = join(dir, 'snap.db');
		const save = await runCli(['snapshot', 'save', file, '--kubeadm', root], {timeoutMs: 60_000});
		assert.equal(save.code, 0, save.stderr + save.stdout);
		const result = await runCli(['snapshot', 'restore-plan', file, '--kubeadm', root, '-w', 'json']);
		assert.equal(result.code, 0, result.stderr + result.stdout);
		assert.match(result.stderr, /^etcdtop: kubeadm: the etcd static pod, member etcd-1,/m);
		type Step = {member?: string; argv?: string[]; text?: string};
		const plan = JSON.parse(result.stdout) as {layout: string; tool: string; membersFrom: string; notes: string[]; phases: Array<{title: string; steps: Step[]}>};
		assert.equal(plan.layout, 'kubeadm');
		assert.equal(plan.membersFrom, 'live');
		assert.equal(plan.tool, snapshotTool(), 'etcdutl from 3.5, etcdctl on 3.4');
		const steps = (title: RegExp) => plan.phases.find(phase => title.test(phase.title))!.steps;
		assert.deepEqual(steps(/^Stop etcd/)[0]!.argv, ['mv', '/etc/kubernetes/manifests/etcd.yaml', '/etc/kubernetes/etcd.yaml.stopped']);
		assert.match(plan.notes.join('\n'), /member list read from etcd-\d \(serializable\): it may be stale/);
		assert.doesNotMatch(result.stdout, new RegExp(root.replaceAll('/', '\\/')), 'the plan names the node\'s paths, not where they were read here');
		const onHere = (argv: readonly string[]) => argv.map(word => (word.startsWith('/etc/kubernetes/') ? join(root, word) : word));

		// The check as printed, with the node's TLS files (read under DIR here): the cluster answers it.
		const check = steps(/^Check/)[0]!.argv!;
		assert.deepEqual(check.slice(3, 9), ['--cacert', '/etc/kubernetes/pki/etcd/ca.crt', '--cert', '/etc/kubernetes/pki/etcd/healthcheck-client.crt', '--key', '/etc/kubernetes/pki/etcd/healthcheck-client.key']);
		const health = spawnSync(etcdBinary('etcdctl'), onHere(check).slice(1), {encoding: 'utf8', timeout: 60_000});
		assert.equal(health.status, 0, health.stderr + health.stdout);
		assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);

		// etcd-1's restore as printed, into a data dir under this test's directory: the version's tool restores it.
		const restore = steps(/^Restore/).find(step => step.member === 'etcd-1')!.argv!;
		assert.deepEqual(restore.slice(-2), ['--data-dir', '/var/lib/etcd-restored']);
		const restoredDir = join(dir, 'var/lib/etcd-restored');
		const restored = spawnSync(etcdBinary(restore[0] as 'etcdctl' | 'etcdutl'), [...restore.slice(1, -1), restoredDir], {encoding: 'utf8', timeout: 60_000});
		assert.equal(restored.status, 0, restored.stderr + restored.stdout);
		assert.ok(existsSync(join(restoredDir, 'member', 'snap', 'db')));

		// The manifest moved aside and edited as printed: the data volume's hostPath is the restored dir, nothing else moved.
		const manifest = readFileSync(join(root, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8');
		writeFileSync(join(root, 'etc/kubernetes/etcd.yaml.stopped'), manifest);
		const sed = steps(/^Point/).find(step => step.member === 'etcd-1' && step.argv)!.argv!;
		const edited = spawnSync(sed[0]!, onHere(sed).slice(1), {encoding: 'utf8'});
		assert.equal(edited.status, 0, edited.stderr);
		type Pod = {spec: {containers: Array<{command: string[]}>; volumes: Array<{name: string; hostPath: {path: string}}>}};
		const pod = parseYaml(readFileSync(join(root, 'etc/kubernetes/etcd.yaml.stopped'), 'utf8')) as Pod;
		assert.deepEqual(Object.fromEntries(pod.spec.volumes.map(volume => [volume.name, volume.hostPath.path])), {'etcd-certs': '/etc/kubernetes/pki/etcd', 'etcd-data': '/var/lib/etcd-restored'});
		assert.deepEqual(pod.spec.containers[0]!.command, (parseYaml(manifest) as Pod).spec.containers[0]!.command);
	} finally {
		rmSync(join(root, 'etc/kubernetes/etcd.yaml.stopped'), {force: true});
		rmSync(dir, {recursive: true, force: true});
	}
});

describe('through --via, the kubeadm detection runs on the SSH host (read over the connection)', {skip: hasSshd() ? false : 'OpenSSH sshd is not installed', timeout: 300_000}, () => {
	let sshd: TestSshd;
	let home: string;
	const env = () => ({HOME: home, SSH_AUTH_SOCK: ''});

	before(async () => {
		sshd = await TestSshd.start({logLevel: 'DEBUG1'});
		home = mkdtempSync(join(tmpdir(), 'etcdtop-kubeadm-via-home-'));
		mkdirSync(join(home, '.ssh'), {mode: 0o700});
		writeFileSync(join(home, '.ssh', 'config'), ['Host cp1', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keys.plain}`, ''].join('\n'));
		copyFileSync(sshd.knownHostsFile, join(home, '.ssh', 'known_hosts'));
	});

	after(async () => {
		const isFailed = process.exitCode !== undefined && process.exitCode !== 0;
		await sshd?.dispose({isKeepingFiles: isFailed});
		if (isFailed && sshd) console.error(`sshd files kept in ${sshd.dir}`);
		if (home) rmSync(home, {recursive: true, force: true});
	});

	test('status --via cp1 --kubeadm DIR: healthy over TLS with the node\'s files, metrics from the manifest\'s listener through the tunnel', async () => {
		// Each member and its /metrics through a channel of its own and a TLS handshake, within the probe timeout.
		const result = await runCli(['status', '-w', 'json', '--via', 'cp1', '--kubeadm', root], {env: {...env(), ...generousProbe}, timeoutMs: 120_000});
		assert.equal(result.code, 0, result.stderr + result.stdout);
		const json = JSON.parse(result.stdout) as {cluster: {state: string}; members: Array<{name: string; reachable: boolean; metricsError: string | null}>};
		assert.equal(json.cluster.state, 'healthy');
		assert.deepEqual(json.members.map(member => member.name).sort(), ['etcd-1', 'etcd-2', 'etcd-3']);
		assert.ok(json.members.every(member => member.reachable && member.metricsError === null), result.stdout);
		assert.match(result.stderr, /^etcdtop: kubeadm on \S*127\.0\.0\.1\S*: the etcd static pod, member etcd-1, endpoints https:\/\/127\.0\.0\.1:\d+; read .*etc\/kubernetes\/manifests\/etcd\.yaml, .*ca\.crt, .*healthcheck-client\.crt, .*healthcheck-client\.key$/m);
		// etcd-1's /metrics were read at the manifest's --listen-metrics-urls, dialled from the SSH host.
		const metricsTarget = new URL(self.metricsUrl!).host;
		assert.ok(sshd.forwardedTargets().includes(metricsTarget), `no channel to ${metricsTarget} in ${sshd.forwardedTargets().join(', ')}`);
	});

	test('--kubeadm DIR through --via names the SSH host when DIR holds no manifest there, exit 3', async () => {
		const result = await runCli(['status', '--via', 'cp1', '--kubeadm', join(root, 'not-there')], {env: env(), timeoutMs: 120_000});
		assert.equal(result.code, 3, result.stderr + result.stdout);
		assert.match(result.stderr, /--kubeadm.*not-there on \S*127\.0\.0\.1\S* holds neither \.\/etc\/kubernetes\/manifests\/etcd\.yaml/);
		assert.doesNotMatch(result.stderr, /\n\s+at /);
	});

	test('the console --via cp1 --kubeadm DIR shows the cluster healthy; its Snapshots pane plans the check with the node\'s files read there, which runs as printed', {timeout: 240_000}, async () => {
		const snapshots = mkdtempSync(join(tmpdir(), 'etcdtop-kubeadm-via-snaps-'));
		try {
			const session = TmuxSession.start([process.execPath, cliPath, '--via', 'cp1', '--kubeadm', root, '--snapshot-dir', snapshots], {env: env(), columns: 160, rows: 45});
			sessions.push(session);
			await session.waitFor(text => /HEALTHY/.test(text) && ['etcd-1', 'etcd-2', 'etcd-3'].every(name => new RegExp(`${name}\\s+ok`).test(text)), 60_000);
			const {details, check: line} = await paneRestorePlan(session);
			assert.ok(line, details);
			assert.match(line, / --cacert \/etc\/kubernetes\/pki\/etcd\/ca\.crt --cert \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt --key \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.key endpoint health$/);
			// The SSH host is this machine, its node paths under DIR: the printed check reaches every member.
			const argv = line.split(' ').map(word => (word.startsWith('/etc/kubernetes/') ? join(root, word) : word));
			const health = spawnSync(etcdBinary('etcdctl'), argv.slice(1), {encoding: 'utf8', timeout: 60_000});
			assert.equal(health.status, 0, health.stderr + health.stdout);
			assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);
			session.sendKeys('Escape');
			session.sendKeys('q');
			assert.equal(await session.waitForExit(30_000), 0);
		} finally {
			rmSync(snapshots, {recursive: true, force: true});
		}
	});
});
