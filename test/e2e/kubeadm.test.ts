import assert from 'node:assert/strict';
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath, runCli} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {TmuxSession} from '../helpers/tmux.js';
import {makeTestPki} from '../helpers/tls.js';

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

const cluster = await startCluster({members: 3, tls: {caFile: join(pkiDir, 'ca.crt'), certFile: join(pkiDir, 'server.crt'), keyFile: join(pkiDir, 'server.key')}});
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
    - --listen-metrics-urls=http://127.0.0.1:2381
    - --name=${self.name}
    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    image: registry.k8s.io/etcd:3.5.30-0
    name: etcd
  hostNetwork: true
`,
);

test('status --kubeadm DIR with no other flag finds every member over TLS, healthy, and says which files it read', async () => {
	const result = await runCli(['status', '-w', 'json', '--kubeadm', root]);
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
