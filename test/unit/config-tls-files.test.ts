import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {after, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {buildConfig, type ConnectionFlags} from '../../source/config/config.js';
import {detectKubeadm, kubeadmTlsFiles, withKubeadm, type KubeadmDetection} from '../../source/config/kubeadm.js';
import {etcdctlConnectionOf, restoreCheckClient} from '../../source/config/printed-client.js';
import {configError} from '../helpers/config-error.js';
import {makeTestPki} from '../helpers/tls.js';

// The Config records the TLS files it connected with beside their bytes: which input named each (a flag
// over its ETCDCTL_* variable over kubeadm's file), where it was read, and the path printed commands carry.

const pki = makeTestPki();
after(() => pki.remove());
const material = {ca: readFileSync(pki.caFile), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile)};
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/kubeadm/${name}`, import.meta.url)), 'utf8');

/** Files by path (a CA, a client pair) that records what was read: a path not listed does not exist. */
function disk(files: Record<string, Buffer>) {
	const read: string[] = [];
	return {
		read,
		readFile: (path: string): Buffer => {
			read.push(path);
			const bytes = files[path];
			if (bytes === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), {code: 'ENOENT'});
			return bytes;
		},
	};
}

const pairAt = (dir: string) => ({[`${dir}/ca.crt`]: material.ca, [`${dir}/client.crt`]: material.cert, [`${dir}/client.key`]: material.key});

test('a flag wins over its ETCDCTL_* variable: the Config records the file it read, and what named it', () => {
	const files = disk({...pairAt('/flag'), ...pairAt('/env')});
	const env = {ETCDCTL_CACERT: '/env/ca.crt', ETCDCTL_CERT: '/env/client.crt', ETCDCTL_KEY: '/env/client.key', ETCDCTL_USER: 'ops:pw'};
	const config = buildConfig({endpoints: 'https://10.0.0.1:2379', cacert: '/flag/ca.crt'}, env, files.readFile);
	assert.deepEqual(config.tls?.files, {
		cacert: {input: '--cacert', path: '/flag/ca.crt', nodePath: '/flag/ca.crt'},
		cert: {input: 'ETCDCTL_CERT', path: '/env/client.crt', nodePath: '/env/client.crt'},
		key: {input: 'ETCDCTL_KEY', path: '/env/client.key', nodePath: '/env/client.key'},
	});
	assert.deepEqual(files.read.sort(), ['/env/client.crt', '/env/client.key', '/flag/ca.crt'], 'the variable a flag overrides is never read');
	assert.ok(config.tls?.ca?.equals(material.ca) && config.tls.cert?.equals(material.cert));
	assert.ok(Object.isFrozen(config.tls?.files) && Object.isFrozen(config.tls?.files.cacert));

	// Printed lines carry exactly these paths and the user, never the password.
	const client = restoreCheckClient(config);
	assert.deepEqual(client, {cacert: '/flag/ca.crt', cert: '/env/client.crt', key: '/env/client.key', user: 'ops'});
	assert.deepEqual(etcdctlConnectionOf(config), {endpoints: ['https://10.0.0.1:2379'], ...client});
	assert.doesNotMatch(JSON.stringify(client), /pw/);

	// The pair from flags, the CA from its variable.
	const flags = buildConfig({endpoints: 'https://10.0.0.1:2379', cert: '/flag/client.crt', key: '/flag/client.key'}, env, disk({...pairAt('/flag'), ...pairAt('/env')}).readFile);
	assert.deepEqual(restoreCheckClient(flags), {cacert: '/env/ca.crt', cert: '/flag/client.crt', key: '/flag/client.key', user: 'ops'});
});

test('no TLS files, an http cluster, or --insecure-skip-tls-verify alone: nothing to print but the user', () => {
	const plain = buildConfig({endpoints: 'http://10.0.0.1:2379', user: 'root:x'}, {}, disk({}).readFile);
	assert.equal(plain.tls, undefined);
	assert.deepEqual(restoreCheckClient(plain), {user: 'root'});
	const skip = buildConfig({endpoints: 'https://10.0.0.1:2379', insecureSkipTlsVerify: true}, {}, disk({}).readFile);
	assert.deepEqual(skip.tls?.files, {});
	assert.deepEqual(restoreCheckClient(skip), {});
	assert.deepEqual(restoreCheckClient(undefined), {});
});

async function detectedUnder(root: string, files: Record<string, Buffer>): Promise<KubeadmDetection> {
	const read = async (path: string) => {
		if (path === `${root === '/' ? '' : root}/etc/kubernetes/manifests/etcd.yaml`) return fixture('etcd-1.27.yaml');
		const bytes = files[path];
		if (bytes === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), {code: 'ENOENT'});
		return bytes.toString('utf8');
	};
	return (await detectKubeadm({root, read, sudoHint: 'sudo etcdtop'}))!;
}

const nodePki = (root: string) => ({
	[`${root}/etc/kubernetes/pki/etcd/ca.crt`]: material.ca,
	[`${root}/etc/kubernetes/pki/etcd/healthcheck-client.crt`]: material.cert,
	[`${root}/etc/kubernetes/pki/etcd/healthcheck-client.key`]: material.key,
});
const nodePaths = {cacert: '/etc/kubernetes/pki/etcd/ca.crt', cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', key: '/etc/kubernetes/pki/etcd/healthcheck-client.key'};

test('kubeadm\'s files are used where nothing was given, recorded as read under --kubeadm DIR and as the node names them', async () => {
	const files = nodePki('/tmp/cp1-copy');
	const detection = await detectedUnder('/tmp/cp1-copy', files);
	const kubeadmFlags = (flags: ConnectionFlags, env: Record<string, string> = {}) => withKubeadm(flags, env, detection);
	const config = buildConfig(withKubeadm({}, {}, detection), {}, disk(files).readFile, kubeadmTlsFiles(detection));
	assert.deepEqual(config.endpoints, ['https://10.0.0.11:2379']);
	assert.deepEqual(config.tls?.files.cacert, {input: '--kubeadm', path: '/tmp/cp1-copy/etc/kubernetes/pki/etcd/ca.crt', nodePath: nodePaths.cacert});
	assert.deepEqual(config.tls?.files.key, {input: '--kubeadm', path: '/tmp/cp1-copy/etc/kubernetes/pki/etcd/healthcheck-client.key', nodePath: nodePaths.key});
	assert.deepEqual(restoreCheckClient(config), nodePaths, 'printed commands name the node\'s paths, not where they were read here');

	// A flag or variable still wins; the certificate and key go together (one given: neither from kubeadm).
	const mine = {...files, ...pairAt('/mine')};
	const given = buildConfig(kubeadmFlags({cacert: '/mine/ca.crt'}, {ETCDCTL_CERT: '/mine/client.crt', ETCDCTL_KEY: '/mine/client.key'}), {ETCDCTL_CERT: '/mine/client.crt', ETCDCTL_KEY: '/mine/client.key'}, disk(mine).readFile, kubeadmTlsFiles(detection));
	assert.deepEqual(restoreCheckClient(given), {cacert: '/mine/ca.crt', cert: '/mine/client.crt', key: '/mine/client.key'});
	assert.equal(given.tls?.files.cert?.input, 'ETCDCTL_CERT');
	const caOnly = buildConfig(kubeadmFlags({cacert: '/mine/ca.crt'}), {}, disk(mine).readFile, kubeadmTlsFiles(detection));
	assert.deepEqual(restoreCheckClient(caOnly), {...nodePaths, cacert: '/mine/ca.crt'});
	const half = configError(() => buildConfig(kubeadmFlags({cert: '/mine/client.crt'}), {}, disk(mine).readFile, kubeadmTlsFiles(detection)));
	assert.equal(half.input, '--key');

	// --endpoints given: kubeadm's endpoints are not taken, its files still are where none was given.
	assert.deepEqual(buildConfig(kubeadmFlags({endpoints: 'https://10.9.9.9:2379'}), {}, disk(files).readFile, kubeadmTlsFiles(detection)).endpoints, ['https://10.9.9.9:2379']);
	// A bad file kubeadm found names --kubeadm, not a flag the operator never gave.
	const broken = configError(() => buildConfig(withKubeadm({}, {}, detection), {}, disk({...files, '/tmp/cp1-copy/etc/kubernetes/pki/etcd/ca.crt': Buffer.from('junk')}).readFile, kubeadmTlsFiles(detection)));
	assert.equal(broken.input, '--kubeadm');
	assert.match(broken.problem, /cp1-copy\/etc\/kubernetes\/pki\/etcd\/ca\.crt is not a PEM certificate/);
});

test('through --via the kubeadm files are the SSH host\'s: their bytes as read there, its paths recorded, this host\'s disk never read', async () => {
	const remote = nodePki('/srv/node');
	const detection = await detectedUnder('/srv/node', remote);
	const here = disk({});
	const config = buildConfig(withKubeadm({}, {}, detection), {}, here.readFile, kubeadmTlsFiles(detection, new Map(Object.entries(remote))));
	assert.deepEqual(here.read, []);
	assert.ok(config.tls?.key?.equals(material.key));
	assert.equal(config.tls?.files.cacert?.path, '/srv/node/etc/kubernetes/pki/etcd/ca.crt');
	assert.deepEqual(restoreCheckClient(config), nodePaths);
});
