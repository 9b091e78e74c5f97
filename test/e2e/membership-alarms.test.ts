import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';

interface StatusJson {
	cluster: {state: string; voters: number; learners: number; quorum: number};
	members: Array<{name: string; id: string | null; reachable: boolean; error: null | {kind: string}; alarms: string[]; isLearner: boolean}>;
}

const status = async (endpoints: string) => {
	const result = await runCli(['status', '-w', 'json', '--endpoints', endpoints]);
	return {code: result.code, json: JSON.parse(result.stdout) as StatusJson};
};

test('a member added but not started shows as unstarted, and counts toward quorum', async () => {
	const cluster = await startCluster({members: 3});
	const endpoints = cluster.endpoints.join(',');
	// etcd refuses member changes until its members have been connected for a few seconds.
	const added = await until('etcd to accept a new member', async () => {
		const result = await runEtcdctl(['--endpoints', endpoints, 'member', 'add', 'etcd-4', '--peer-urls', 'http://127.0.0.1:1']);
		return result.code === 0 ? result : undefined;
	});
	// etcdctl prints the ID with %16x: space-padded when it has fewer than 16 hex digits.
	const id = /Member\s+([0-9a-f]+) added/.exec(added.stdout)?.[1];
	assert.ok(id, added.stdout);
	const {code, json} = await status(endpoints);
	assert.equal(code, 1);
	assert.equal(json.cluster.state, 'degraded');
	assert.deepEqual([json.cluster.voters, json.cluster.quorum], [4, 3]);
	const unstarted = json.members.find(member => member.id === id);
	assert.equal(unstarted?.error?.kind, 'not-started');
	assert.equal(json.members.length, 4);
	await runEtcdctl(['--endpoints', endpoints, 'member', 'remove', id!]);
	await until('the cluster to be healthy again', async () => ((await status(endpoints)).code === 0 ? true : undefined));
});

test('a NOSPACE alarm puts the cluster in state alarm, on the members etcd lists as raising it, and etcdtop never writes', async () => {
	const cluster = await startCluster({members: 3, quotaBytes: 2 * 1024 * 1024});
	const endpoints = cluster.endpoints.join(',');
	// Under the kernel's 128 KiB limit for one argv string.
	const value = 'x'.repeat(100_000);
	let isFull = false;
	for (let index = 0; index < 80 && !isFull; index++) {
		const put = await runEtcdctl(['--endpoints', cluster.endpoints[0]!, 'put', `big-${index}`, value]);
		isFull = /database space exceeded/.test(put.stderr);
	}
	assert.ok(isFull, 'etcd reported the quota exceeded');
	const {code, json} = await until('every member to know the alarm', async () => {
		const result = await status(endpoints);
		return result.json.members.every(member => member.reachable) && result.json.cluster.state === 'alarm' ? result : undefined;
	});
	assert.equal(code, 2);

	// etcdtop reads alarms from the status answers: asking again and again leaves the raft log alone
	// (etcd's `alarm list` would add an entry each time).
	const raftIndexes = async () => {
		const answer = await runEtcdctl(['--endpoints', endpoints, 'endpoint', 'status', '-w', 'json']);
		return (JSON.parse(answer.stdout) as Array<{Status: {raftIndex: number}}>).map(entry => entry.Status.raftIndex);
	};
	const before = await raftIndexes();
	for (let round = 0; round < 3; round++) await status(endpoints);
	assert.deepEqual(await raftIndexes(), before);

	const listed = await runEtcdctl(['--endpoints', endpoints, 'alarm', 'list']);
	const raisedBy = new Set([...listed.stdout.matchAll(/memberID:(\d+) alarm:NOSPACE/g)].map(match => BigInt(match[1]!).toString(16)));
	assert.ok(raisedBy.size > 0, listed.stdout);
	for (const member of json.members) assert.deepEqual(member.alarms, raisedBy.has(member.id!) ? ['NOSPACE'] : [], member.name);
	const table = await runCli(['status', '--endpoints', endpoints]);
	assert.match(table.stdout, /alarm NOSPACE active/);
});
