import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';
import {testEtcdVersion} from '../helpers/etcd-binaries.js';

const cluster = await startCluster({members: 3});
const endpoints = cluster.endpoints.join(',');

interface StatusJson {
	cluster: {id: string; state: string; leader: string; raftTerm: number; revision: number; voters: number; learners: number; reachableVoters: number; quorum: number; tolerance: number};
	members: Array<{name: string; id: string; endpoint: string; reachable: boolean; error: null | {kind: string; message: string}; latencyMs: number | null; isLeader: boolean; isLearner: boolean; version: string; raftTerm: number; raftIndex: number; raftAppliedIndex: number; dbSize: number; dbSizeInUse: number; alarms: string[]}>;
}

async function statusJson(args: string[] = []) {
	const result = await runCli(['status', '-w', 'json', '--endpoints', endpoints, ...args]);
	return {...result, json: JSON.parse(result.stdout) as StatusJson};
}

function memberNamed(json: StatusJson, name: string) {
	const member = json.members.find(candidate => candidate.name === name);
	assert.ok(member, `no member ${name} in ${JSON.stringify(json.members.map(m => m.name))}`);
	return member;
}

const leaderName = async () => (await statusJson()).json.members.find(member => member.isLeader)!.name;
const followerName = async () => (await statusJson()).json.members.find(member => !member.isLeader)!.name;

test('discovery: one endpoint is enough to find and probe every member', async () => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', cluster.endpoints[0]!]);
	assert.equal(result.code, 0, result.stderr);
	const json = JSON.parse(result.stdout) as StatusJson;
	assert.deepEqual(json.members.map(member => member.endpoint).sort(), [...cluster.endpoints].sort());
	const single = await runCli(['status', '-w', 'json', '--no-discover', '--endpoints', cluster.endpoints[0]!]);
	assert.equal((JSON.parse(single.stdout) as StatusJson).members.length, 1);
});

test('status agrees with etcdctl endpoint status on the same cluster', async () => {
	await runEtcdctl(['--endpoints', endpoints, 'put', 'greeting', 'hello']);
	const [ours, theirs] = await Promise.all([statusJson(), runEtcdctl(['--endpoints', endpoints, 'endpoint', 'status', '-w', 'json'])]);
	assert.equal(ours.code, 0, ours.stderr);
	// etcdctl prints uint64 IDs as JSON numbers, which lose precision as JS numbers: read them as strings.
	const etcdctl = JSON.parse(theirs.stdout.replace(/:(\d{16,})/g, ':"$1"')) as Array<{Endpoint: string; Status: {header: {cluster_id: string; member_id: string}; version: string; dbSize: number; leader: string; raftTerm: number; raftIndex: number}}>;
	assert.equal(etcdctl.length, 3);
	assert.equal(ours.json.members.length, 3);
	assert.equal(ours.json.cluster.id, BigInt(etcdctl[0]!.Status.header.cluster_id).toString(16));
	for (const row of etcdctl) {
		const id = BigInt(row.Status.header.member_id).toString(16);
		const member = ours.json.members.find(candidate => candidate.id === id);
		assert.ok(member, `etcdctl's member ${id} is missing`);
		assert.equal(member.endpoint, row.Endpoint);
		assert.equal(member.version, row.Status.version);
		assert.equal(member.dbSize, row.Status.dbSize);
		assert.equal(member.raftTerm, row.Status.raftTerm);
		assert.ok(Math.abs(member.raftIndex - row.Status.raftIndex) <= 5, `raft index ${member.raftIndex} vs ${row.Status.raftIndex}`);
		assert.equal(member.isLeader, BigInt(row.Status.leader).toString(16) === id);
		assert.equal(member.reachable, true);
		assert.equal(member.error, null);
		assert.equal(typeof member.latencyMs, 'number');
		assert.deepEqual(member.alarms, []);
	}
	const {cluster: summary} = ours.json;
	assert.equal(summary.state, 'healthy');
	assert.equal(summary.leader, BigInt(etcdctl[0]!.Status.leader).toString(16));
	assert.deepEqual([summary.voters, summary.learners, summary.reachableVoters, summary.quorum, summary.tolerance], [3, 0, 3, 2, 1]);
	assert.ok(summary.revision >= 2);
});

test('table and simple formats list every member', async () => {
	const table = await runCli(['status', '--endpoints', endpoints]);
	assert.equal(table.code, 0, table.stderr);
	assert.match(table.stdout, /\|\s+ENDPOINT\s+\|\s+NAME\s+\|\s+ID\s+\|\s+STATE\s+\|/);
	for (const member of cluster.members) assert.match(table.stdout, new RegExp(`${member.clientUrl} \\| ${member.name} `));
	assert.match(table.stdout, /cluster [0-9a-f]+: healthy/);
	const simple = await runCli(['status', '-w', 'simple', '--endpoints', endpoints]);
	assert.equal(simple.stdout.trim().split('\n').length, 3);
	// The etcd the tests were asked to run (ETCDTOP_TEST_ETCD_DIR, else PATH) is the one that answers.
	assert.match(simple.stdout, new RegExp(`, ${testEtcdVersion().replaceAll('.', '\\.')}, `));
});

test('a SIGSTOPped follower costs at most the probe timeout and reads "timeout"', async () => {
	const name = await followerName();
	// The same run with every member answering, just before: what a run costs on this machine now (a
	// process start, the module loads, the calls), which a fixed bound would guess (it was 4 s in all).
	const healthy = await statusJson(['--probe-timeout', '1s']);
	assert.equal(healthy.code, 0, healthy.stderr);
	cluster.signal(name, 'SIGSTOP');
	try {
		const result = await statusJson(['--probe-timeout', '1s']);
		assert.equal(result.code, 1, result.stderr);
		// The hung member adds its 1 s probe timeout, not a command timeout (5 s) or a hang.
		assert.ok(result.ms < healthy.ms + 3000, `took ${Math.round(result.ms)} ms, ${Math.round(healthy.ms)} ms with every member answering`);
		const hung = memberNamed(result.json, name);
		assert.equal(hung.reachable, false);
		assert.equal(hung.error?.kind, 'timeout');
		assert.equal(result.json.cluster.state, 'degraded');
		assert.equal(result.json.members.filter(member => member.reachable).length, 2);
	} finally {
		cluster.signal(name, 'SIGCONT');
	}
});

test('exit codes: one member dead is 1 (refused), two of three is 2 (no quorum), restarted is 0', async () => {
	const leader = await leaderName();
	const [first, second] = cluster.members.map(member => member.name).filter(name => name !== leader);
	await cluster.kill(first!);
	const one = await statusJson();
	assert.equal(one.code, 1, one.stdout);
	assert.equal(memberNamed(one.json, first!).error?.kind, 'refused');
	await cluster.kill(second!);
	const two = await statusJson();
	assert.equal(two.code, 2, two.stdout);
	assert.equal(two.json.cluster.state, 'no-quorum');
	cluster.restart(first!);
	cluster.restart(second!);
	await until('the cluster to be healthy again', async () => ((await statusJson()).code === 0 ? true : undefined));
});

test('a cluster nobody answers for is 2, and the endpoint says why', async () => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', '127.0.0.1:1']);
	assert.equal(result.code, 2);
	const json = JSON.parse(result.stdout) as StatusJson;
	assert.equal(json.cluster.state, 'unreachable');
	assert.equal(json.members[0]!.error?.kind, 'refused');
});

test('bad input exits 3 with one clear line and no stack trace', async () => {
	const cases: Array<[string[], RegExp]> = [
		[['status', '--bogus'], /--bogus: unknown flag/],
		[['status', '--endpoints', 'ftp://h:1'], /--endpoints: "ftp:\/\/h:1" uses ftp/],
		[['status', '--dial-timeout', 'soon'], /--dial-timeout: "soon" is not a duration/],
		[['status', '-w', 'yaml'], /--write-out: "yaml" is not an output format/],
		[['status', '--cacert', '/nonexistent/ca.pem'], /--cacert: \/nonexistent\/ca.pem does not exist/],
		[['status', '--cert', '/etc/hostname'], /--key: a client certificate needs both/],
		[['frobnicate'], /frobnicate: unknown command/],
	];
	for (const [args, message] of cases) {
		const result = await runCli(args);
		assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
		assert.match(result.stderr, message);
		assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
		assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
	}
	const fromEnv = await runCli(['status'], {env: {ETCDCTL_ENDPOINTS: 'http://[::1'}});
	assert.equal(fromEnv.code, 3);
	assert.match(fromEnv.stderr, /ETCDCTL_ENDPOINTS/);
});
