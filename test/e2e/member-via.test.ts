import assert from 'node:assert/strict';
import {after, before, describe, it} from 'node:test';
import type {LocalCluster as LocalClusterType} from '../../source/demo/local-cluster.js';
import {freePort} from '../../source/demo/free-port.js';
import {runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {newUrls, RemoteMembers, sshFlags} from '../helpers/remote-members.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const skip = hasSshd() ? false : 'OpenSSH sshd is not installed';

const cluster: LocalClusterType | undefined = skip ? undefined : await startCluster({members: 3});

const direct = (url: string) => url.replace(/^https?:\/\//, '');

describe('member changes --via a real sshd', {skip, timeout: 300_000}, () => {
	let sshd: TestSshd;
	let remote: RemoteMembers;

	before(async () => {
		if (!cluster) return;
		sshd = await TestSshd.start({logLevel: 'DEBUG1'});
		remote = new RemoteMembers();
	});

	after(async () => {
		const isKeeping = process.exitCode !== undefined && process.exitCode !== 0;
		await remote?.stop(isKeeping);
		await sshd?.dispose({isKeepingFiles: isKeeping});
	});

	it('adds a learner (started over SSH through the bastion), promotes and removes it, all through the tunnel', async () => {
		const seed = cluster!.member('etcd-1').clientUrl;
		const via = ['--via', `${sshd.user}@127.0.0.1:${sshd.port}`];
		const urls = await newUrls();
		const before = sshd.forwardedTargets().length;
		const add = await runCli(
			['member', 'add', 'etcd-5', '--peer-url', urls.peer, '--client-url', urls.client, '--learner', '--start-command', remote.startCommand('etcd-5', urls), '--endpoints', seed, ...via, ...sshFlags(sshd, 'etcd-5')],
			{timeoutMs: 240_000},
		);
		assert.equal(add.code, 0, add.stdout + add.stderr);
		assert.match(add.stdout, /member add etcd-5 --peer-urls=\S+ --learner {2}# ok/);
		const afterAdd = sshd.forwardedTargets().slice(before);
		// The seed and the new member's client port were dialled through sshd, not directly.
		assert.ok(afterAdd.includes(direct(seed)), `no channel to ${seed} in ${afterAdd.join(', ')}`);
		assert.ok(afterAdd.includes(direct(urls.client)), `no channel to ${urls.client} in ${afterAdd.join(', ')}`);
		// The start command's SSH session to the member host went through the bastion (ProxyJump).
		assert.ok(afterAdd.includes(`127.0.0.1:${sshd.port}`), `no jump to the member's sshd in ${afterAdd.join(', ')}`);

		const sshOnly = ['--ssh-identity', sshd.keys.plain, '--ssh-known-hosts', sshd.knownHostsFile];
		for (const action of ['promote', 'remove']) {
			const mark = sshd.forwardedTargets().length;
			const result = await runCli(['member', action, 'etcd-5', '--yes', '--endpoints', seed, ...via, ...sshOnly], {timeoutMs: 120_000});
			assert.equal(result.code, 0, result.stdout + result.stderr);
			assert.match(result.stdout, new RegExp(`member ${action} [0-9a-f]+ {2}# ok`));
			const targets = sshd.forwardedTargets().slice(mark);
			assert.ok(targets.includes(direct(seed)), `member ${action}: no channel to ${seed} in ${targets.join(', ')}`);
		}
		const list = await runEtcdctl(['--endpoints', seed, 'member', 'list']);
		assert.equal(list.code, 0, list.stderr);
		assert.doesNotMatch(list.stdout, /etcd-5/);
	});

	it('stops on a usage error with exit 3 before it connects to the --via host', async () => {
		const port = await freePort();
		const result = await runCli(['member', 'promote', 'etcd-9', '--read-only', '--endpoints', cluster!.endpoints[0]!, '--via', `127.0.0.1:${port}`, '--ssh-identity', sshd.keys.plain]);
		assert.equal(result.code, 3, result.stdout + result.stderr);
		assert.match(result.stderr, /--read-only/);
		assert.doesNotMatch(result.stderr, /SSH to/);
	});
});
