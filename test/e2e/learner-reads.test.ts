import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';
import {testEtcdAtLeast, testEtcdVersion} from '../helpers/etcd-binaries.js';
import {newUrls} from '../helpers/remote-members.js';

// etcd serves a learner only Status and serializable Range: MemberList, a linearizable read, Alarm, HashKV
// and Defragment are refused ("rpc not supported for learner", as UNAVAILABLE). etcdtop never asks a
// learner it knows of for the member list, and a learner's refusal reads as what it is, never "unreachable".
const cluster = await startCluster({members: 3});
const {peer: peerUrl, client: learnerUrl} = await newUrls();
await until('etcd to accept a learner', async () => ((await runEtcdctl(['--endpoints', cluster.endpoints.join(','), 'member', 'add', 'etcd-4', '--learner', `--peer-urls=${peerUrl}`])).code === 0 ? true : undefined));
const initialCluster = [...cluster.members.map(member => `${member.name}=${member.peerUrl}`), `etcd-4=${peerUrl}`].join(',');
cluster.startExtra('etcd-4', {
	args: ['--name=etcd-4', `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--listen-client-urls=${learnerUrl}`, `--advertise-client-urls=${learnerUrl}`, `--initial-cluster=${initialCluster}`, '--initial-cluster-state=existing'],
});
await until('the learner to answer', async () => ((await runEtcdctl(['--endpoints', learnerUrl, 'endpoint', 'status'])).code === 0 ? true : undefined));

type StatusJson = {cluster: {state: string; voters: number | null; learners: number | null; reasons: string[]}; members: Array<{name: string; reachable: boolean; state: string; error: {kind: string; message: string} | null}>};

test(`etcd ${testEtcdVersion()} refuses a learner the member list, and status with only the learner says so in words`, async () => {
	const direct = await runEtcdctl(['--endpoints', learnerUrl, 'member', 'list']);
	assert.notEqual(direct.code, 0, 'etcd refuses MemberList on a learner');
	assert.match(direct.stderr + direct.stdout, /not supported for learner/);

	const result = await runCli(['status', '-w', 'json', '--endpoints', learnerUrl, '--no-discover']);
	const json = JSON.parse(result.stdout) as StatusJson;
	assert.ok(json.cluster.reasons.some(reason => reason === 'member list unknown (a learner: it answers only Status and serializable reads): voters and quorum cannot be told'), json.cluster.reasons.join('\n'));
	assert.doesNotMatch(result.stdout + result.stderr, /unreachable/);
	// Its Status is answered: the learner is up.
	assert.ok(json.members.some(member => member.reachable), result.stdout);
	const table = await runCli(['status', '--endpoints', learnerUrl, '--no-discover']);
	assert.match(table.stdout, /member list unknown \(a learner: it answers only Status and serializable reads\)/);
});

test('status with the learner first among the endpoints: the list comes from a voter, 3 voters and 1 learner, all answering', async () => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', [learnerUrl, ...cluster.endpoints].join(',')]);
	assert.equal(result.code, 0, result.stderr + result.stdout);
	const json = JSON.parse(result.stdout) as StatusJson;
	assert.equal(json.cluster.state, 'healthy');
	assert.equal(json.cluster.voters, 3);
	assert.equal(json.cluster.learners, 1);
	assert.ok(json.members.every(member => member.reachable), result.stdout);
});

test(`member promote: the decision's member list is the cluster's current one (3.5+: linearizable; 3.4: after a linearizable read through the same member), and the output says how (etcd ${testEtcdVersion()})`, async () => {
	const result = await runCli(['member', 'promote', 'etcd-4', '--yes', '--endpoints', [learnerUrl, ...cluster.endpoints].join(',')], {timeoutMs: 120_000});
	assert.equal(result.code, 0, result.stderr + result.stdout);
	const read = result.stdout.split('\n').find(line => line.includes('member list -w table'));
	assert.ok(read, result.stdout);
	if (testEtcdAtLeast(3, 5)) assert.match(read, /# \d members, \d answering; member list read from etcd-[123] \(linearizable: the cluster's current list\)$/);
	else assert.match(read, /# \d members, \d answering; member list read from etcd-[123] \(etcd 3\.4\.\d+: after a linearizable read through it\): the cluster's current list$/);
	assert.doesNotMatch(result.stdout + result.stderr, /not supported for learner|unreachable/);
	const listed = await runEtcdctl(['--endpoints', cluster.endpoints[0]!, 'member', 'list']);
	assert.match(listed.stdout, /etcd-4, .*, false/, 'a voter now');
});
