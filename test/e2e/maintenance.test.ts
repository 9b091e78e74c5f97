import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {Etcd3} from 'etcd3';
import {runCli, runEtcdctl} from '../helpers/cli.js';
import {fillToNospace, startCluster, until} from '../helpers/cluster.js';
import {newUrls} from '../helpers/remote-members.js';

const mib = 1024 * 1024;

interface EtcdctlStatus {
	Endpoint: string;
	Status: {header: {member_id: number | string; revision: number}; leader: number | string; dbSize: number; raftIndex: number; isLearner?: boolean};
}

async function endpointStatus(endpoints: readonly string[]): Promise<EtcdctlStatus[]> {
	const result = await runEtcdctl(['--endpoints', endpoints.join(','), 'endpoint', 'status', '-w', 'json']);
	return JSON.parse(result.stdout) as EtcdctlStatus[];
}

/** etcd logs each defrag with its own clock ("finished defragment"); ts is ISO or seconds. */
function defragFinishedAt(logFile: string): number[] {
	return readFileSync(logFile, 'utf8')
		.split('\n')
		// The server's line, once per Defragment call on 3.4 and 3.5 (3.5's backend adds "finished
		// defragmenting directory", which a prefix match would count twice).
		.filter(line => line.includes('"msg":"finished defragment"'))
		.map(line => {
			const ts = (JSON.parse(line) as {ts: string | number}).ts;
			return typeof ts === 'number' ? ts * 1000 : Date.parse(ts);
		});
}

function logMentions(logFile: string, text: string): boolean {
	return readFileSync(logFile, 'utf8').includes(text);
}

test('defrag --compact --disarm --yes recovers a cluster from NOSPACE: followers first, the leader last, the learner skipped', async () => {
	const cluster = await startCluster({members: 3, quotaBytes: 16 * mib});
	const endpoints = cluster.endpoints;
	// A learner: added, then started. etcd never defragments a learner, so its file stays as large as the
	// snapshot it was given; its own quota is larger (quotas are per member), so it does not block the disarm.
	const {peer: peerUrl, client: clientUrl} = await newUrls();
	await until('etcd to accept a learner', async () => ((await runEtcdctl(['--endpoints', endpoints.join(','), 'member', 'add', 'etcd-4', '--learner', `--peer-urls=${peerUrl}`])).code === 0 ? true : undefined));
	const initialCluster = [...cluster.members.map(member => `${member.name}=${member.peerUrl}`), `etcd-4=${peerUrl}`].join(',');
	const learner = cluster.startExtra('etcd-4', {
		args: ['--name=etcd-4', `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--listen-client-urls=${clientUrl}`, `--advertise-client-urls=${clientUrl}`, `--initial-cluster=${initialCluster}`, '--initial-cluster-state=existing', `--quota-backend-bytes=${64 * mib}`],
	});
	await until('the learner to answer', async () => ((await runEtcdctl(['--endpoints', clientUrl, 'endpoint', 'status'])).code === 0 ? true : undefined));

	await fillToNospace(endpoints[0]!, {keys: 10, attempts: 500});
	await until('every member to report NOSPACE', async () => {
		const listed = await runEtcdctl(['--endpoints', endpoints.join(','), 'alarm', 'list']);
		return /NOSPACE/.test(listed.stdout) ? true : undefined;
	});
	const before = await endpointStatus([...endpoints, clientUrl]);
	const leaderId = BigInt(before[0]!.Status.leader).toString(16);
	const nameById = new Map(before.map(entry => [BigInt(entry.Status.header.member_id).toString(16), [...cluster.members.map(member => member.clientUrl), clientUrl].indexOf(entry.Endpoint)]));

	// --dry-run first: the plan, and nothing changes.
	const dry = await runCli(['defrag', '--compact', '--disarm', '--dry-run', '--endpoints', endpoints.join(',')]);
	assert.equal(dry.code, 0, dry.stderr);
	assert.match(dry.stdout, /etcd-4 .*learner .*skip: learner: etcd refuses Defragment on a learner/);
	assert.deepEqual((await endpointStatus([...endpoints, clientUrl])).map(entry => entry.Status.dbSize), before.map(entry => entry.Status.dbSize));
	assert.ok(!cluster.members.some(member => logMentions(member.logFile, 'defragmenting')));

	const logFile = join(cluster.baseDir, 'commands.log');
	const run = await runCli(['defrag', '--compact', '--disarm', '--yes', '--command-log', logFile, '-w', 'json', '--endpoints', endpoints.join(',')], {timeoutMs: 120_000});
	assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
	const report = JSON.parse(run.stdout) as {outcome: {type: string}; plan: Array<{id: string; name: string; role: string; action: string; reason: string; progress: {state: string}}>; disarmed: unknown[]; log: Array<{step: string; command: string}>};
	assert.equal(report.outcome.type, 'done');
	assert.deepEqual(report.plan.filter(row => row.action === 'defrag').map(row => row.role), ['follower', 'follower', 'leader']);
	const skipped = report.plan.find(row => row.name === 'etcd-4')!;
	assert.equal(skipped.action, 'skip');
	assert.match(skipped.reason, /etcd refuses Defragment on a learner/);
	assert.ok(report.disarmed.length > 0);
	assert.deepEqual(report.log.map(entry => entry.step), ['preflight', 'quota', 'compact', 'defrag', 'defrag', 'defrag', 'disarm']);
	// The command log file has every change with its etcdctl line.
	const logged = readFileSync(logFile, 'utf8');
	assert.match(logged, /\[compact\] etcdctl --endpoints=\S+ compact \d+ --physical -> ok/);
	assert.equal(logged.match(/\[defrag\] etcdctl --endpoints=\S+ --command-timeout=\d+s defrag -> ok/g)?.length, 3);
	assert.match(logged, /\[disarm\] etcdctl --endpoints=\S+ alarm disarm/);

	// The alarm is gone and writes work again.
	const listed = await runEtcdctl(['--endpoints', endpoints.join(','), 'alarm', 'list']);
	assert.equal(listed.stdout.trim(), '');
	const put = await runEtcdctl(['--endpoints', endpoints[0]!, 'put', 'after', 'ok']);
	assert.equal(put.code, 0, put.stderr);
	// Every voter's database shrank.
	const after = await endpointStatus(endpoints);
	for (const entry of after) {
		const was = before.find(candidate => candidate.Endpoint === entry.Endpoint)!;
		assert.ok(entry.Status.dbSize < was.Status.dbSize / 2, `${entry.Endpoint}: ${was.Status.dbSize} -> ${entry.Status.dbSize}`);
	}
	// The members' own logs: each voter defragmented once, the leader last; the learner never.
	const finished = cluster.members.map(member => ({name: member.name, at: defragFinishedAt(member.logFile)}));
	for (const member of finished) assert.equal(member.at.length, 1, member.name);
	const leaderName = cluster.members[nameById.get(leaderId)!]!.name;
	const last = [...finished].sort((a, b) => a.at[0]! - b.at[0]!).at(-1)!;
	assert.equal(last.name, leaderName);
	assert.equal(defragFinishedAt(learner.logFile).length, 0);

	// etcd does refuse Defragment on a learner, as the plan says.
	const refused = await runEtcdctl(['--endpoints', clientUrl, 'defrag']);
	assert.notEqual(refused.code, 0);
	assert.match(refused.stderr + refused.stdout, /not supported for learner/);
});

test('defrag preflight refuses, changing nothing, with a hung voter and without quorum', async () => {
	const cluster = await startCluster({members: 3});
	const endpoints = cluster.endpoints.join(',');
	await runEtcdctl(['--endpoints', endpoints, 'put', 'a', '1']);
	const revisionOf = async () => (await endpointStatus([cluster.endpoints[0]!]))[0]!.Status.header.revision;
	const revision = await revisionOf();
	// A hung follower. A hung leader starts an election, which the preflight waits out before it refuses the
	// same way: e2e/elections.test.ts hangs the leader on purpose.
	const statuses = await endpointStatus(cluster.endpoints);
	const leaderUrl = statuses.find(entry => entry.Status.leader === entry.Status.header.member_id)?.Endpoint;
	const hungName = ['etcd-3', 'etcd-2'].find(name => cluster.member(name).clientUrl !== leaderUrl)!;

	cluster.signal(hungName, 'SIGSTOP');
	try {
		const hung = await runCli(['defrag', '--compact', '--yes', '--endpoints', endpoints], {timeoutMs: 60_000});
		assert.equal(hung.code, 2, hung.stdout + hung.stderr);
		assert.match(hung.stderr, new RegExp(`preflight: voter ${hungName} \\(\\w+\\) is unreachable \\(timeout`));
		assert.match(hung.stderr, /nothing was changed/);
	} finally {
		cluster.signal(hungName, 'SIGCONT');
	}
	assert.ok(!cluster.members.some(member => logMentions(member.logFile, 'defragmenting')));
	assert.equal(await revisionOf(), revision);
	assert.ok(!cluster.members.some(member => logMentions(member.logFile, 'finished scheduled compaction')), 'no compaction happened');

	await cluster.kill('etcd-2');
	await cluster.kill('etcd-3');
	const lost = await runCli(['defrag', '--yes', '--endpoints', endpoints], {timeoutMs: 60_000});
	assert.equal(lost.code, 2, lost.stdout + lost.stderr);
	// Without a quorum the member list's linearizable read (3.5's list, 3.4's read index before its list) fails.
	assert.match(lost.stderr, /preflight: .*(unreachable|no leader|no member answered the member list)/);
	assert.ok(!logMentions(cluster.member('etcd-1').logFile, 'defragmenting'));

	// --read-only refuses before connecting; a dry run is allowed.
	const readOnly = await runCli(['defrag', '--yes', '--read-only', '--endpoints', endpoints]);
	assert.equal(readOnly.code, 3);
	assert.match(readOnly.stderr, /--read-only: defrag changes the cluster/);
	const badRule = await runCli(['defrag', '--dry-run', '--rule', 'dbSize >> 1', '--endpoints', endpoints]);
	assert.equal(badRule.code, 3);
	assert.match(badRule.stderr, /--rule: expected a number.*at character 9/);
});

test('check consistency agrees with etcdctl endpoint hashkv, at a revision every member holds', async () => {
	const cluster = await startCluster({members: 3});
	const endpoints = cluster.endpoints.join(',');
	for (let index = 0; index < 20; index++) await runEtcdctl(['--endpoints', endpoints, 'put', `k${index % 5}`, `v${index}`]);
	await runEtcdctl(['--endpoints', endpoints, 'compact', '10']);
	const result = await runCli(['check', 'consistency', '-w', 'json', '--endpoints', endpoints]);
	assert.equal(result.code, 0, result.stderr);
	const report = JSON.parse(result.stdout) as {result: string; revision: number; compactRevision: number; members: Array<{hash: string; compactRevision: number}>};
	assert.equal(report.result, 'consistent');
	assert.equal(report.members.length, 3);
	assert.equal(report.compactRevision, 10);
	const statuses = await endpointStatus(cluster.endpoints);
	assert.ok(report.revision > report.compactRevision);
	assert.ok(statuses.every(entry => entry.Status.header.revision >= report.revision));
	const hashkv = await runEtcdctl(['--endpoints', endpoints, 'endpoint', 'hashkv', '-w', 'json', `--rev=${report.revision}`]);
	const theirs = (JSON.parse(hashkv.stdout) as Array<{HashKV: {hash: number}}>).map(entry => (entry.HashKV.hash >>> 0).toString(16).padStart(8, '0'));
	assert.deepEqual(new Set(theirs), new Set(report.members.map(member => member.hash)));

	const table = await runCli(['check', 'consistency', '--endpoints', endpoints]);
	assert.equal(table.code, 0);
	assert.match(table.stdout, /consistent: every voter has the same hash of the keyspace at revision \d+ \(compacted at 10\)/);
});

test('usage and snapshot inspect agree with etcdctl on a keyspace with known prefixes', async () => {
	const cluster = await startCluster({members: 1});
	const endpoint = cluster.endpoints[0]!;
	const client = new Etcd3({hosts: endpoint});
	const layout: Record<string, {keys: number; size: number}> = {
		'/registry/pods/ns-a/': {keys: 40, size: 300},
		'/registry/pods/ns-b/': {keys: 15, size: 1000},
		'/registry/configmaps/ns-a/': {keys: 7, size: 5000},
	};
	try {
		for (const [prefix, {keys, size}] of Object.entries(layout)) {
			for (let index = 0; index < keys; index++) await client.put(`${prefix}obj-${index}`).value('p'.repeat(size));
		}
		for (let index = 0; index < 3; index++) await client.put(`/registry/nodes/node-${index}`).value('n'.repeat(100));
		await client.put('plain-key').value('v');
		// History a compaction would free: 10 overwrites of one pod, and two deleted config maps.
		for (let round = 0; round < 10; round++) await client.put('/registry/pods/ns-a/obj-0').value('q'.repeat(300));
		await client.delete().key('/registry/configmaps/ns-a/obj-5');
		await client.delete().key('/registry/configmaps/ns-a/obj-6');
	} finally {
		client.close();
	}
	const counted = async (prefix: string) => {
		const got = await runEtcdctl(['--endpoints', endpoint, 'get', '--prefix', prefix, '-w', 'json']);
		const kvs = (JSON.parse(got.stdout) as {kvs?: Array<{value: string}>}).kvs ?? [];
		return {keys: kvs.length, valueBytes: kvs.reduce((sum, kv) => sum + Buffer.from(kv.value, 'base64').length, 0)};
	};
	const expected: Record<string, {keys: number; valueBytes: number}> = {};
	for (const prefix of [...Object.keys(layout), '/registry/nodes/']) expected[prefix] = await counted(prefix);
	assert.equal(expected['/registry/configmaps/ns-a/']!.keys, 5);

	const live = await runCli(['usage', '-w', 'json', '--endpoints', endpoint]);
	assert.equal(live.code, 0, live.stderr);
	const rows = (JSON.parse(live.stdout) as {rows: Array<{prefix: string; keys: number; valueBytes: number}>}).rows;
	for (const [prefix, counts] of Object.entries(expected)) assert.deepEqual(rows.find(row => row.prefix === prefix) && {keys: rows.find(row => row.prefix === prefix)!.keys, valueBytes: rows.find(row => row.prefix === prefix)!.valueBytes}, counts, prefix);
	assert.deepEqual(rows.find(row => row.prefix === '')?.keys, 1);
	const scoped = await runCli(['usage', '--prefix', '/registry/pods/', '--depth', '2', '-w', 'json', '--endpoints', endpoint]);
	const scopedRows = (JSON.parse(scoped.stdout) as {rows: Array<{prefix: string; keys: number}>}).rows;
	assert.deepEqual(scopedRows.map(row => [row.prefix, row.keys]), [['/registry/pods/', 55]]);

	const file = join(cluster.baseDir, 'inspect.db');
	const saved = await runEtcdctl(['--endpoints', endpoint, 'snapshot', 'save', file]);
	assert.equal(saved.code, 0, saved.stderr);
	const inspected = await runCli(['snapshot', 'inspect', file, '-w', 'json']);
	assert.equal(inspected.code, 0, inspected.stderr);
	const snapshot = JSON.parse(inspected.stdout) as {rows: Array<{prefix: string; keys: number; valueBytes: number; oldRevisions: number}>; totals: {oldRevisions: number}};
	for (const [prefix, counts] of Object.entries(expected)) {
		const row = snapshot.rows.find(candidate => candidate.prefix === prefix)!;
		assert.deepEqual({keys: row.keys, valueBytes: row.valueBytes}, counts, prefix);
	}
	// 10 overwritten values of obj-0; each deleted map: its value and its deletion.
	assert.equal(snapshot.rows.find(row => row.prefix === '/registry/pods/ns-a/')!.oldRevisions, 10);
	assert.equal(snapshot.rows.find(row => row.prefix === '/registry/configmaps/ns-a/')!.oldRevisions, 4);
	assert.equal(snapshot.totals.oldRevisions, 14);
	const table = await runCli(['snapshot', 'inspect', file]);
	assert.match(table.stdout, /\/registry\/pods\/ns-a\/ +\| +40 \| +12000 \|/);
});
