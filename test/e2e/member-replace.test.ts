import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {Etcd3} from 'etcd3';
import type {LocalCluster as LocalClusterType} from '../../source/demo/local-cluster.js';
import {cliPath, runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';
import {newUrls, RemoteMembers, sshFlags} from '../helpers/remote-members.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';

const skip = hasSshd() ? false : 'OpenSSH sshd is not installed';

interface ListedMember {
	ID: string;
	name?: string;
	peerURLs: string[];
	clientURLs?: string[];
	isLearner?: boolean;
}

async function memberList(endpoints: string): Promise<ListedMember[]> {
	const result = await runEtcdctl(['--endpoints', endpoints, 'member', 'list', '-w', 'json']);
	assert.equal(result.code, 0, result.stderr);
	return (JSON.parse(result.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"')) as {members: ListedMember[]}).members;
}

// Top level, as the other e2e files: startCluster registers its own after() for this file.
const cluster: LocalClusterType | undefined = skip ? undefined : await startCluster({members: 3});

describe('member replace against a real cluster and a real sshd', {skip, timeout: 600_000}, () => {
	let sshd: TestSshd;
	let remote: RemoteMembers;
	let endpoints: string;
	const keys = 300;

	before(async () => {
		if (!cluster) return;
		sshd = await TestSshd.start();
		remote = new RemoteMembers();
		endpoints = cluster!.endpoints.join(',');
		const client = new Etcd3({hosts: cluster!.endpoints});
		try {
			for (let index = 0; index < keys; index += 50) {
				await Promise.all(Array.from({length: 50}, (_, offset) => client.put(`data/${String(index + offset).padStart(4, '0')}`).value(`value-${index + offset}`)));
			}
		} finally {
			client.close();
		}
		await cluster!.kill('etcd-3');
		rmSync(cluster!.member('etcd-3').dataDir, {recursive: true, force: true});
	});

	after(async () => {
		const isKeeping = process.exitCode !== undefined && process.exitCode !== 0;
		await remote?.stop(isKeeping);
		await sshd?.dispose({isKeepingFiles: isKeeping});
	});

	it('refuses to remove a healthy member while another is down (the guard ignores --yes)', async () => {
		const result = await runCli(['member', 'remove', 'etcd-2', '--yes', '--endpoints', endpoints]);
		assert.equal(result.code, 2, result.stdout + result.stderr);
		assert.match(result.stderr, /refused: will not remove etcd-2 .*leaves 1 reachable of 2 voters, below the new quorum of 2/);
		assert.doesNotMatch(result.stdout, /refused/, 'a refusal is said once, on stderr');
		const replace = await runCli(['member', 'replace', 'etcd-1', '--new-name', 'etcd-9', '--new-peer-url', 'http://127.0.0.1:1', '--yes', '--endpoints', endpoints]);
		assert.equal(replace.code, 2);
		assert.match(replace.stderr, /now 2\/3 voters reachable, quorum 2, tolerates 0; after: 1\/2 reachable, quorum 2/);
		assert.equal((await memberList(endpoints)).length, 3);
	});

	it('refuses bad, duplicate and read-only input with exit 3, naming the flag', async () => {
		const peerOfEtcd1 = cluster!.member('etcd-1').peerUrl;
		const cases: Array<[string[], RegExp]> = [
			[['--new-name', 'etcd-4', '--new-peer-url', 'ftp://127.0.0.1:1'], /--new-peer-url: "ftp:\/\/127.0.0.1:1" uses ftp/],
			[['--new-name', 'etcd-4', '--new-peer-url', '127.0.0.1:2380'], /--new-peer-url: .* has no scheme/],
			[['--new-name', 'etcd-4', '--new-peer-url', peerOfEtcd1], /--new-peer-url: .* is already used by member etcd-1/],
			[['--new-name', 'etcd-1', '--new-peer-url', 'http://127.0.0.1:1'], /--new-name: member [0-9a-f]+ is already named "etcd-1"/],
			[['--new-name', 'etcd-4', '--new-peer-url', 'http://127.0.0.1:1', '--read-only'], /--read-only: member replace changes the cluster/],
			[['--new-peer-url', 'http://127.0.0.1:1'], /--new-name: is required/],
			[['--new-name', 'etcd-4', '--new-peer-url', 'http://127.0.0.1:1', '--wait-timeout', 'soon'], /--wait-timeout/],
		];
		for (const [args, pattern] of cases) {
			const result = await runCli(['member', 'replace', 'etcd-3', ...args, '--yes', '--endpoints', endpoints]);
			assert.equal(result.code, 3, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
			assert.match(result.stderr, pattern);
		}
		const typo = await runCli(['member', 'replace', 'etcd-33', '--new-name', 'etcd-4', '--new-peer-url', 'http://127.0.0.1:1', '--yes', '--endpoints', endpoints]);
		assert.equal(typo.code, 3, typo.stdout + typo.stderr);
		assert.match(typo.stderr, /FAILED: no member is named or numbered "etcd-33", and the 3 voters look complete/);
		const noTerminal = await runCli(['member', 'remove', 'etcd-3', '--endpoints', endpoints]);
		assert.equal(noTerminal.code, 3);
		assert.match(noTerminal.stderr, /--yes: .*no terminal to type its name/);
		assert.equal((await memberList(endpoints)).length, 3, 'nothing was removed by a refused command');
	});

	it('replaces the dead member; killed right after the add, a second run finishes', async () => {
		const urls = await newUrls();
		const base = ['member', 'replace', 'etcd-3', '--new-name', 'etcd-4', '--new-peer-url', urls.peer, '--new-client-url', urls.client, '--yes', '--endpoints', endpoints, '--wait-timeout', '3m'];
		// First run: no start command, so it adds the learner and waits for the operator; kill it there.
		const first = spawn(process.execPath, [cliPath, ...base], {stdio: ['ignore', 'pipe', 'pipe']});
		let firstOut = '';
		first.stdout.setEncoding('utf8').on('data', chunk => (firstOut += chunk));
		first.stderr.setEncoding('utf8').on('data', chunk => (firstOut += chunk));
		try {
			await until('the new member to be added', () => firstOut.includes('ETCD_INITIAL_CLUSTER_STATE'), 60_000);
		} finally {
			process.kill(first.pid!, 'SIGKILL');
		}
		assert.match(firstOut, /member remove [0-9a-f]+ {2}# ok/);
		assert.match(firstOut, /member add etcd-4 --peer-urls=http:\/\/127.0.0.1:\d+ --learner {2}# ok/);
		const initialCluster = /export ETCD_INITIAL_CLUSTER=(\S+)/.exec(firstOut)?.[1] ?? '';
		assert.deepEqual(initialCluster.split(',').sort(), [`etcd-1=${cluster!.member('etcd-1').peerUrl}`, `etcd-2=${cluster!.member('etcd-2').peerUrl}`, `etcd-4=${urls.peer}`]);
		assert.match(firstOut, /- --initial-cluster-state=existing/);
		assert.match(firstOut, /data dir on the new host must be empty/);
		const midway = await memberList(endpoints);
		assert.equal(midway.length, 3);
		assert.ok(midway.some(member => member.peerURLs.includes(urls.peer) && member.isLearner && !member.name));

		const logFile = join(remote.dir, 'commands.log');
		const second = await runCli([...base, '--start-command', `echo starting-etcd-4-now; ${remote.startCommand('etcd-4', urls)}`, '--command-log', logFile, ...sshFlags(sshd, 'etcd-4')], {timeoutMs: 240_000});
		assert.equal(second.code, 0, second.stdout + second.stderr);
		assert.doesNotMatch(second.stdout, /member remove|member add/, 'the second run repeats no change');
		assert.match(second.stdout, /\[?start\]?|ssh .*env ETCD_NAME=etcd-4/);
		assert.match(second.stdout, /member promote [0-9a-f]+ {2}# ok/);
		assert.match(second.stdout, /--etcd-servers=http:\/\/127\.0\.0\.1:\d+,http:\/\/127\.0\.0\.1:\d+,http:\/\/127\.0\.0\.1:\d+/);
		assert.match(second.stdout, /load balancer/);
		const log = readFileSync(logFile, 'utf8');
		assert.match(log, /\[start\] ssh .*@127\.0\.0\.1:\d+ env ETCD_NAME=etcd-4 .*ETCD_INITIAL_CLUSTER_STATE=existing/);
		assert.match(log, /\[promote\] etcdctl .* member promote [0-9a-f]+ -> ok/);
		// What the start command printed on the member's host, logged as it came, before the promotion.
		assert.match(log, /\[remote\] \S*@127\.0\.0\.1:\d+: starting-etcd-4-now\n[\s\S]*\[promote\]/);

		const members = await memberList(endpoints);
		assert.deepEqual(members.map(member => member.name).sort(), ['etcd-1', 'etcd-2', 'etcd-4']);
		assert.ok(members.every(member => !member.isLearner && (member.clientURLs?.length ?? 0) > 0), JSON.stringify(members));
		const all = [cluster!.member('etcd-1').clientUrl, cluster!.member('etcd-2').clientUrl, urls.client].join(',');
		const health = await runEtcdctl(['--endpoints', all, 'endpoint', 'health']);
		assert.equal(health.code, 0, health.stdout + health.stderr);
		assert.equal(health.stderr.match(/is healthy/g)?.length ?? health.stdout.match(/is healthy/g)?.length, 3);
		// Every key written before the failure, served by the new member itself.
		const read = await runEtcdctl(['--endpoints', urls.client, 'get', 'data/', '--prefix', '--consistency=s', '--keys-only']);
		assert.equal(read.code, 0, read.stderr);
		assert.equal(read.stdout.split('\n').filter(line => line.startsWith('data/')).length, keys);
	});

	it('scales 3 -> 5 with member add (started over SSH; one as a learner, then promoted), then back to 3 with member remove', async () => {
		const live = async () => (await memberList(endpoints)).filter(member => member.name);
		const seed = cluster!.member('etcd-1').clientUrl;
		for (const [name, extra] of [['etcd-5', []], ['etcd-6', ['--learner']]] as const) {
			const urls = await newUrls();
			const result = await runCli(['member', 'add', name, '--peer-url', urls.peer, '--client-url', urls.client, ...extra, '--start-command', remote.startCommand(name, urls), '--endpoints', seed, ...sshFlags(sshd, name)], {timeoutMs: 240_000});
			assert.equal(result.code, 0, result.stdout + result.stderr);
			assert.match(result.stdout, new RegExp(`member add ${name} --peer-urls=\\S+${extra.length > 0 ? ' --learner' : ''} {2}# ok`));
		}
		assert.ok((await memberList(seed)).find(member => member.name === 'etcd-6')?.isLearner, 'etcd-6 joined as a learner');
		const promote = await runCli(['member', 'promote', 'etcd-6', '--endpoints', seed], {timeoutMs: 120_000});
		assert.equal(promote.code, 0, promote.stdout + promote.stderr);
		const five = await memberList(seed);
		assert.equal(five.length, 5);
		assert.ok(five.every(member => member.name && !member.isLearner), JSON.stringify(five));

		// Leadership to etcd-5, then remove it: etcdtop hands leadership on before the leader leaves.
		const move = await runCli(['member', 'move-leader', 'etcd-5', '--endpoints', seed], {timeoutMs: 60_000});
		assert.equal(move.code, 0, move.stdout + move.stderr);
		assert.match(move.stdout, /move-leader [0-9a-f]+ {2}# ok/);
		assert.match(move.stdout, /done: etcd-5 .* leads/);
		for (const name of ['etcd-5', 'etcd-6']) {
			const result = await runCli(['member', 'remove', name, '--yes', '--endpoints', seed], {timeoutMs: 120_000});
			assert.equal(result.code, 0, result.stdout + result.stderr);
			if (name === 'etcd-5') assert.match(result.stdout, /etcd-5 .* is the leader: moving leadership to/);
			assert.match(result.stdout, /member remove [0-9a-f]+ {2}# ok/);
		}
		assert.deepEqual((await live()).map(member => member.name).sort(), ['etcd-1', 'etcd-2', 'etcd-4']);
		const health = await runCli(['status', '-w', 'json', '--endpoints', seed]);
		assert.equal(health.code, 0, health.stdout);
	});
});
