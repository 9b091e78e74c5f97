import assert from 'node:assert/strict';
import {after, test} from 'node:test';
import {runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {makeTestPki} from '../helpers/tls.js';

const pki = makeTestPki();
after(() => pki.remove());
const cluster = await startCluster({members: 1, tls: {caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile}});
const endpoint = cluster.endpoints[0]!;
const clientFlags = ['--cacert', pki.caFile, '--cert', pki.clientCertFile, '--key', pki.clientKeyFile];
const etcdctlTls = ['--endpoints', endpoint, ...clientFlags];

interface Row {
	reachable: boolean;
	error: null | {kind: string; message: string};
}

const firstMember = (stdout: string) => (JSON.parse(stdout) as {members: Row[]}).members[0]!;

test('TLS with a client certificate works, and Node prints no warning into the output', async () => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', endpoint, ...clientFlags]);
	assert.equal(result.code, 0, result.stderr + result.stdout);
	assert.equal(firstMember(result.stdout).reachable, true);
	assert.doesNotMatch(result.stderr, /DEP0123|Warning/);
});

test('the same from ETCDCTL_* variables', async () => {
	const result = await runCli(['status', '-w', 'json'], {
		env: {ETCDCTL_ENDPOINTS: endpoint, ETCDCTL_CACERT: pki.caFile, ETCDCTL_CERT: pki.clientCertFile, ETCDCTL_KEY: pki.clientKeyFile},
	});
	assert.equal(result.code, 0, result.stderr);
});

test('a wrong CA, or no client certificate, reads "tls"', async () => {
	const wrongCa = await runCli(['status', '-w', 'json', '--endpoints', endpoint, '--cacert', pki.otherCaFile, '--cert', pki.clientCertFile, '--key', pki.clientKeyFile]);
	assert.equal(wrongCa.code, 2);
	assert.equal(firstMember(wrongCa.stdout).error?.kind, 'tls');
	const noCert = await runCli(['status', '-w', 'json', '--endpoints', endpoint, '--cacert', pki.caFile]);
	assert.equal(noCert.code, 2);
	assert.equal(firstMember(noCert.stdout).error?.kind, 'tls');
});

test('--insecure-skip-tls-verify accepts a server the CA cannot vouch for', async () => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', endpoint, '--insecure-skip-tls-verify', '--cert', pki.clientCertFile, '--key', pki.clientKeyFile]);
	assert.equal(result.code, 0, result.stdout + result.stderr);
});

test('user and password auth: from ETCDCTL_PASSWORD works, a wrong one reads "auth"', async () => {
	// The client certificate's CN is "root", which etcd would take as the user: leave it out here.
	const auth = ['--endpoints', endpoint, '--cacert', pki.caFile, '--cert', pki.clientCertFile, '--key', pki.clientKeyFile];
	for (const args of [['user', 'add', 'root:s3cret'], ['auth', 'enable']]) {
		const setup = await runEtcdctl([...etcdctlTls, ...args]);
		assert.equal(setup.code, 0, setup.stderr);
	}
	try {
		const good = await runCli(['status', '-w', 'json', ...auth, '--user', 'root'], {env: {ETCDCTL_PASSWORD: 's3cret'}});
		assert.equal(good.code, 0, good.stdout + good.stderr);
		const bad = await runCli(['status', '-w', 'json', ...auth, '--user', 'root'], {env: {ETCDCTL_PASSWORD: 'wrong'}});
		// A wrong password is the operator's to fix, as every command says: exit 3, in words.
		assert.equal(bad.code, 3, bad.stdout + bad.stderr);
		assert.match(bad.stderr, /authentication failed: .* \(check --user and ETCDCTL_PASSWORD\)/);
		assert.equal(firstMember(bad.stdout).error?.kind, 'auth');
		assert.doesNotMatch(bad.stdout + bad.stderr, /wrong/, 'the password never appears in output');
		const noPassword = await runCli(['status', ...auth, '--user', 'root']);
		assert.equal(noPassword.code, 3);
		assert.match(noPassword.stderr, /no password for user "root".*ETCDCTL_PASSWORD/);
	} finally {
		await runEtcdctl([...etcdctlTls, '--user', 'root:s3cret', 'auth', 'disable']);
	}
});
