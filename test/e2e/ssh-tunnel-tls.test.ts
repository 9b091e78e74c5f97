import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {noop} from 'cockatiel';
import {Etcd3} from 'etcd3';
import {hasEtcdBinary, LocalCluster} from '../../source/demo/local-cluster.js';
import {Keyring} from '../../source/ssh/connect.js';
import {SshConnection} from '../../source/ssh/connection.js';
import {tunnelChannelOptions} from '../../source/ssh/grpc-tunnel-options.js';
import {resolveSshHost} from '../../source/ssh/ssh-config.js';
import {openTunnels} from '../../source/ssh/tunnel.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const hasOpenssl = spawnSync('openssl', ['version'], {stdio: 'ignore'}).status === 0;
const skip = !hasSshd() ? 'OpenSSH sshd is not installed' : !hasEtcdBinary() ? 'etcd is not installed' : !hasOpenssl ? 'openssl is not installed' : false;
const memberName = 'etcd-tls.example.test';

function openssl(args: readonly string[], cwd: string): void {
	const result = spawnSync('openssl', args, {cwd, encoding: 'utf8'});
	if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
}

/** A throwaway CA and one certificate naming the member by DNS name and by 127.0.0.1. */
function makePki(dir: string): {caFile: string; certFile: string; keyFile: string} {
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=etcdtop test CA'], dir);
	openssl(['req', ...ec, '-keyout', 'member.key', '-out', 'member.csr', '-subj', `/CN=${memberName}`], dir);
	writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:${memberName},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`);
	openssl(['x509', '-req', '-in', 'member.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'member.crt', '-days', '2', '-extfile', 'ext.cnf'], dir);
	return {caFile: join(dir, 'ca.crt'), certFile: join(dir, 'member.crt'), keyFile: join(dir, 'member.key')};
}

describe('TLS end to end through an SSH tunnel', {skip, timeout: 180_000}, () => {
	let sshd: TestSshd;
	let cluster: LocalCluster;
	let connection: SshConnection;
	let pkiDir: string;
	let pki: {caFile: string; certFile: string; keyFile: string};

	before(async () => {
		pkiDir = mkdtempSync(join(tmpdir(), 'etcdtop-ssh-pki-'));
		pki = makePki(pkiDir);
		[sshd, cluster] = await Promise.all([TestSshd.start(), LocalCluster.start({members: 1, namePrefix: 'tls', tls: pki})]);
		connection = new SshConnection({
			host: resolveSshHost({host: '127.0.0.1', port: sshd.port, user: sshd.user}, {identityFile: sshd.keys.plain}),
			hostKeys: {knownHostsPath: sshd.knownHostsFile, isAcceptingNew: false},
			keyring: new Keyring(),
			agentSocket: '',
		}).start();
		await connection.waitUntilUp({timeoutMs: 30_000});
	});

	after(async () => {
		connection?.close();
		await Promise.all([sshd?.dispose(), cluster?.stop()]);
		if (pkiDir) rmSync(pkiDir, {recursive: true, force: true});
	});

	const etcdThrough = (endpoint: string, serverName: string) =>
		new Etcd3({
			hosts: endpoint,
			credentials: {rootCertificate: readFileSync(pki.caFile), certChain: readFileSync(pki.certFile), privateKey: readFileSync(pki.keyFile)},
			grpcOptions: {...tunnelChannelOptions(serverName, true)},
			dialTimeout: 5000,
			faultHandling: {host: () => noop, global: noop},
		});

	it('verifies the member certificate by its real name via grpc.ssl_target_name_override', async () => {
		const member = cluster.members[0]!;
		const tunnels = await openTunnels(connection, [member.clientUrl]);
		const {tunnel, via} = tunnels.get(member.clientUrl)!;
		assert.match(via.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
		const good = etcdThrough(via.endpoint, memberName);
		const wrong = etcdThrough(via.endpoint, 'impostor.example.test');
		try {
			const status = await good.maintenance.status({deadline: new Date(Date.now() + 15_000)});
			assert.ok(status.header.member_id, 'no member id through the TLS tunnel');
			assert.ok(tunnel.forwardedCount >= 1);
			// The override really decides: a name the certificate lacks is refused.
			await assert.rejects(wrong.maintenance.status({deadline: new Date(Date.now() + 10_000)}), /ERR_TLS_CERT_ALTNAME_INVALID.*impostor\.example\.test/);
		} finally {
			good.close();
			wrong.close();
			await tunnel.close();
		}
	});

	it('verifies an IP-addressed member against the IP in its certificate', async () => {
		const member = cluster.members[0]!;
		const tunnels = await openTunnels(connection, [member.clientUrl]);
		const {tunnel, via} = tunnels.get(member.clientUrl)!;
		// The member's endpoint names 127.0.0.1, which its certificate lists as an IP SAN.
		assert.equal(via.serverName, '127.0.0.1');
		const good = etcdThrough(via.endpoint, via.serverName);
		const wrong = etcdThrough(via.endpoint, '10.9.9.9');
		try {
			const status = await good.maintenance.status({deadline: new Date(Date.now() + 15_000)});
			assert.ok(status.header.member_id);
			await assert.rejects(wrong.maintenance.status({deadline: new Date(Date.now() + 10_000)}), /ERR_TLS_CERT_ALTNAME_INVALID.*10\.9\.9\.9/);
		} finally {
			good.close();
			wrong.close();
			await tunnel.close();
		}
	});
});
