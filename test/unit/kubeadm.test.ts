import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {ConfigError} from '../../source/config/errors.js';
import {commandFlags, describeDetection, detectKubeadm, kubeadmMetricsUrls, kubeadmRoot, kubeadmTlsFiles, withKubeadm, type NodeReader} from '../../source/config/kubeadm.js';
import {kubeadmPodLines} from '../../source/console/member-ops.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/kubeadm/${name}`, import.meta.url)), 'utf8');
const pem = '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n';

/** A node's files in memory; a path mapped to an errno code fails with it, as fs would. */
function node(files: Record<string, string | 'EACCES'>): NodeReader {
	return async path => {
		const content = files[path];
		if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), {code: 'ENOENT'});
		if (content === 'EACCES') throw Object.assign(new Error(`EACCES: ${path}`), {code: 'EACCES'});
		return content;
	};
}

const kubeadmPki = (root = '') => ({
	[`${root}/etc/kubernetes/pki/etcd/ca.crt`]: pem,
	[`${root}/etc/kubernetes/pki/etcd/server.crt`]: pem,
	[`${root}/etc/kubernetes/pki/etcd/server.key`]: pem,
	[`${root}/etc/kubernetes/pki/etcd/healthcheck-client.crt`]: pem,
	[`${root}/etc/kubernetes/pki/etcd/healthcheck-client.key`]: pem,
	[`${root}/etc/kubernetes/pki/apiserver-etcd-client.crt`]: pem,
	[`${root}/etc/kubernetes/pki/apiserver-etcd-client.key`]: pem,
});
const sudoHint = 'sudo etcdtop status';

test('kubeadm 1.27: endpoints, CA, the healthcheck-client pair, data dir, metrics, member name', async () => {
	const detection = (await detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-1.27.yaml'), ...kubeadmPki()}), sudoHint}))!;
	assert.equal(detection.source, 'etcd-pod');
	assert.deepEqual(detection.endpoints, ['https://10.0.0.11:2379']);
	assert.equal(detection.caFile, '/etc/kubernetes/pki/etcd/ca.crt');
	assert.equal(detection.certFile, '/etc/kubernetes/pki/etcd/healthcheck-client.crt');
	assert.equal(detection.keyFile, '/etc/kubernetes/pki/etcd/healthcheck-client.key');
	assert.equal(detection.dataDir, '/var/lib/etcd');
	assert.deepEqual(detection.metricsUrls, ['http://127.0.0.1:2381']);
	assert.equal(detection.memberName, 'cp1');
	assert.match(describeDetection(detection), /the etcd static pod, member cp1, endpoints https:\/\/10\.0\.0\.11:2379; read \/etc\/kubernetes\/manifests\/etcd\.yaml, \/etc\/kubernetes\/pki\/etcd\/ca\.crt, /);
});

test('kubeadm 1.34 (feature gates): without healthcheck-client, apiserver-etcd-client; without both, the server pair', async () => {
	const files: Record<string, string> = {'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-1.34.yaml'), ...kubeadmPki()};
	delete files['/etc/kubernetes/pki/etcd/healthcheck-client.key'];
	const second = (await detectKubeadm({root: '/', read: node(files), sudoHint}))!;
	assert.equal(second.certFile, '/etc/kubernetes/pki/apiserver-etcd-client.crt');
	assert.equal(second.memberName, 'node-a');
	delete files['/etc/kubernetes/pki/apiserver-etcd-client.crt'];
	const third = (await detectKubeadm({root: '/', read: node(files), sudoHint}))!;
	assert.equal(third.certFile, '/etc/kubernetes/pki/etcd/server.crt');
	assert.equal(third.keyFile, '/etc/kubernetes/pki/etcd/server.key');
});

test('minikube cert paths and --kubeadm DIR: every path of the manifest is read under DIR; the data dir stays the node\'s', async () => {
	const root = '/tmp/copied-node';
	const detection = (await detectKubeadm({
		root,
		read: node({
			[`${root}/etc/kubernetes/manifests/etcd.yaml`]: fixture('etcd-minikube.yaml'),
			[`${root}/var/lib/minikube/certs/etcd/ca.crt`]: pem,
			[`${root}/var/lib/minikube/certs/etcd/healthcheck-client.crt`]: pem,
			[`${root}/var/lib/minikube/certs/etcd/healthcheck-client.key`]: pem,
		}),
		sudoHint,
	}))!;
	assert.equal(detection.caFile, `${root}/var/lib/minikube/certs/etcd/ca.crt`);
	assert.equal(detection.certFile, `${root}/var/lib/minikube/certs/etcd/healthcheck-client.crt`);
	assert.equal(detection.dataDir, '/var/lib/minikube/etcd');
	assert.equal(detection.memberName, 'minikube');
});

test('extraArgs (and a command split over command/args): the last value of a flag wins, as in etcd', async () => {
	const detection = (await detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-extraargs.yaml'), ...kubeadmPki()}), sudoHint}))!;
	assert.deepEqual(detection.metricsUrls, ['http://0.0.0.0:2381']);
	assert.equal(detection.dataDir, '/data/etcd');
	assert.deepEqual(detection.endpoints, ['https://10.1.0.5:2379']);
	assert.equal(commandFlags(['etcd', '--name=a', '--name', 'b', '--debug']).get('name'), 'b');
	assert.equal(commandFlags(['etcd', '--debug']).get('debug'), 'true');
});

test('external etcd: kube-apiserver\'s --etcd-servers and client files', async () => {
	const detection = (await detectKubeadm({
		root: '/',
		read: node({
			'/etc/kubernetes/manifests/kube-apiserver.yaml': fixture('kube-apiserver-external.yaml'),
			'/etc/etcd/pki/ca.pem': pem,
			'/etc/etcd/pki/apiserver-etcd-client.pem': pem,
			'/etc/etcd/pki/apiserver-etcd-client-key.pem': pem,
		}),
		sudoHint,
	}))!;
	assert.equal(detection.source, 'apiserver');
	assert.deepEqual(detection.endpoints, ['https://10.0.0.31:2379', 'https://10.0.0.32:2379', 'https://10.0.0.33:2379']);
	assert.equal(detection.caFile, '/etc/etcd/pki/ca.pem');
	assert.equal(detection.certFile, '/etc/etcd/pki/apiserver-etcd-client.pem');
	assert.equal(detection.keyFile, '/etc/etcd/pki/apiserver-etcd-client-key.pem');
	assert.match(describeDetection(detection), /kube-apiserver \(external etcd\)/);
});

test('not a control-plane node: nothing; a root-only manifest or key: exit 3 with the sudo form; a wrong manifest: exit 3', async () => {
	assert.equal(await detectKubeadm({root: '/', read: node({}), sudoHint}), undefined);
	const denied = async () => detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': 'EACCES'}), sudoHint});
	await assert.rejects(denied, (error: unknown) => error instanceof ConfigError && /etcd\.yaml is readable only by root/.test(error.message) && /sudo etcdtop status/.test(error.message));
	const keyDenied = async () => detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-1.27.yaml'), ...kubeadmPki(), '/etc/kubernetes/pki/etcd/healthcheck-client.key': 'EACCES'}), sudoHint});
	await assert.rejects(keyDenied, (error: unknown) => error instanceof ConfigError && /healthcheck-client\.key is readable only by root/.test(error.message));
	const notEtcd = fixture('etcd-1.27.yaml').replace('component: etcd', 'component: something-else');
	await assert.rejects(async () => detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': notEtcd}), sudoHint}), /no label component: etcd/);
	await assert.rejects(async () => detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': 'kind: [unclosed'}), sudoHint}), /not valid YAML/);
});

test('flags and ETCDCTL_* win over what kubeadm says; kubeadm is looked for only when nothing says where etcd is', async () => {
	assert.equal(kubeadmRoot({}, {}), '/');
	assert.equal(kubeadmRoot({endpoints: 'https://a:2379'}, {}), undefined);
	assert.equal(kubeadmRoot({}, {ETCDCTL_ENDPOINTS: 'https://a:2379'}), undefined);
	assert.equal(kubeadmRoot({kubeadm: '/tmp/x/'}, {ETCDCTL_ENDPOINTS: 'https://a:2379'}), '/tmp/x');
	const detection = (await detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-1.27.yaml'), ...kubeadmPki()}), sudoHint}))!;
	// The TLS files go to buildConfig beside the flags (test/unit/config-tls-files.test.ts): the endpoints are a flag's.
	assert.deepEqual(withKubeadm({}, {}, detection), {endpoints: 'https://10.0.0.11:2379'});
	assert.deepEqual(withKubeadm({endpoints: 'https://a:1'}, {}, detection), {endpoints: 'https://a:1'});
	assert.deepEqual(withKubeadm({}, {ETCDCTL_ENDPOINTS: 'https://a:1'}, detection), {});
	assert.deepEqual(kubeadmTlsFiles(detection), {
		cacert: {path: '/etc/kubernetes/pki/etcd/ca.crt', nodePath: '/etc/kubernetes/pki/etcd/ca.crt'},
		cert: {path: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', nodePath: '/etc/kubernetes/pki/etcd/healthcheck-client.crt'},
		key: {path: '/etc/kubernetes/pki/etcd/healthcheck-client.key', nodePath: '/etc/kubernetes/pki/etcd/healthcheck-client.key'},
	});
});

test('member replacement prints the node\'s own static-pod lines (data dir, TLS files) from the manifest, none without it', async () => {
	const detection = (await detectKubeadm({root: '/tmp/copy', read: node({'/tmp/copy/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-1.27.yaml'), ...kubeadmPki('/tmp/copy')}), sudoHint}))!;
	assert.deepEqual(kubeadmPodLines(detection), [
		'    - --data-dir=/var/lib/etcd',
		'    - --cert-file=/etc/kubernetes/pki/etcd/server.crt',
		'    - --key-file=/etc/kubernetes/pki/etcd/server.key',
		'    - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt',
		'    - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key',
		'    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
		'    - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
		'    - --client-cert-auth=true',
		'    - --peer-client-cert-auth=true',
	]);
	assert.deepEqual(kubeadmPodLines(undefined), []);
});

test('the manifest\'s metrics listener becomes its member\'s metrics URL where the node is reachable (here or through --via)', async () => {
	const detection = (await detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-1.27.yaml'), ...kubeadmPki()}), sudoHint}))!;
	assert.deepEqual([...kubeadmMetricsUrls(detection, true)], [['cp1', 'http://127.0.0.1:2381/metrics']]);
	// A copy of another node's files: its 127.0.0.1:2381 is not this host's, so the client URL's /metrics is read.
	assert.deepEqual([...kubeadmMetricsUrls(detection, false)], []);
	// A listener on every address is read at the member's client host, from anywhere.
	const everywhere = (await detectKubeadm({root: '/', read: node({'/etc/kubernetes/manifests/etcd.yaml': fixture('etcd-extraargs.yaml'), ...kubeadmPki()}), sudoHint}))!;
	assert.deepEqual([...kubeadmMetricsUrls(everywhere, false)].map(([, url]) => url), ['http://10.1.0.5:2381/metrics']);
	// External etcd (no member of its own): nothing.
	const external = (await detectKubeadm({
		root: '/',
		read: node({'/etc/kubernetes/manifests/kube-apiserver.yaml': fixture('kube-apiserver-external.yaml'), '/etc/etcd/pki/ca.pem': pem, '/etc/etcd/pki/apiserver-etcd-client.pem': pem, '/etc/etcd/pki/apiserver-etcd-client-key.pem': pem}),
		sudoHint,
	}))!;
	assert.equal(kubeadmMetricsUrls(external, true).size, 0);
	// --kubeadm DIR through --via is the SSH user's DIR: not resolved against this host's working directory.
	assert.equal(kubeadmRoot({kubeadm: 'copy/'}, {}, true), 'copy');
	assert.equal(kubeadmRoot({kubeadm: '/srv/cp1/'}, {}, true), '/srv/cp1');
});
