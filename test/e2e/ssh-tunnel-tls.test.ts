import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {after, before, describe, it} from 'node:test';
import {noop} from 'cockatiel';
import {Etcd3} from 'etcd3';
import {hasEtcdBinary, type LocalCluster} from '../../source/demo/local-cluster.js';
import {startScenario, type Scenario} from '../helpers/scenario.js';
import {Keyring} from '../../source/ssh/connect.js';
import {SshConnection} from '../../source/ssh/connection.js';
import {tunnelChannelOptions} from '../../source/ssh/grpc-tunnel-options.js';
import {resolveSshHost} from '../../source/ssh/ssh-config.js';
import {openTunnels} from '../../source/ssh/tunnel.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const hasOpenssl = spawnSync('openssl', ['version'], {stdio: 'ignore'}).status === 0;
const skip = !hasSshd() ? 'OpenSSH sshd is not installed' : !hasEtcdBinary() ? 'etcd is not installed' : !hasOpenssl ? 'openssl is not installed' : false;
const memberName = 'etcd-tls.example.test';


describe('TLS end to end through an SSH tunnel', {skip, timeout: 180_000}, () => {
	let sshd: TestSshd;
	let cluster: LocalCluster;
	let scenario: Scenario | undefined;
	let connection: SshConnection;
	let pki: {caFile: string; certFile: string; keyFile: string};

	before(async () => {
		scenario = await startScenario({cluster: {members: 1, namePrefix: 'tls'}, sshd: true, isTls: true, dnsNames: [memberName]});
		[sshd, cluster] = [scenario.sshd!, scenario.cluster];
		pki = {caFile: scenario.pki!.caFile, certFile: scenario.pki!.serverCertFile, keyFile: scenario.pki!.serverKeyFile};
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
		await scenario?.end();
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
