import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {Etcd3} from 'etcd3';
import {test} from 'node:test';
import {freePort} from '../../source/demo/free-port.js';
import type {LocalCluster} from '../../source/demo/local-cluster.js';
import {MemberClient} from '../../source/etcd/member-client.js';
import {memberListSource} from '../../source/model/observation.js';
import {observeCluster} from '../../source/route/observe.js';
import {cliPath, runEtcdctl, type CliResult} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';
import {testEtcdVersion} from '../helpers/etcd-binaries.js';
import {newUrls} from '../helpers/remote-members.js';

// A hung or killed LEADER is when operators act, and for a moment then etcd answers linearizable reads (the
// decisions' member list) "leader changed" while the others elect a new one. The decisions wait that out
// and decide on what the cluster answers after it. Which member leads is read from the cluster, never assumed.

interface EtcdctlStatus {
	Endpoint: string;
	Status: {header: {member_id: number | string}; leader: number | string};
}

/** The leading member's name, from etcdctl endpoint status (every member answering, one leader named by all). */
async function leaderName(cluster: LocalCluster): Promise<string> {
	return until('one leader that every member names', async () => {
		const result = await runEtcdctl(['--endpoints', cluster.endpoints.join(','), 'endpoint', 'status', '-w', 'json']);
		if (result.code !== 0) return undefined;
		// member IDs are uint64: read them as text so that none is rounded.
		const statuses = JSON.parse(result.stdout.replace(/"(member_id|leader)":(\d+)/g, '"$1":"$2"')) as EtcdctlStatus[];
		const leaders = new Set(statuses.map(entry => String(entry.Status.leader)));
		const leader = statuses.find(entry => String(entry.Status.leader) === String(entry.Status.header.member_id));
		if (leaders.size !== 1 || !leader) return undefined;
		return cluster.members.find(member => member.clientUrl === leader.Endpoint)?.name;
	}, 30_000);
}

/** The CLI started at once (runCli would too; spawned here so the fault and the start are back to back). */
function startCli(args: readonly string[], timeoutMs: number): Promise<CliResult> {
	const started = performance.now();
	return new Promise(resolve => {
		const child = spawn(process.execPath, [cliPath, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk));
		child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code: code ?? -1, stdout, stderr, ms: performance.now() - started});
		});
	});
}

test(`etcd ${testEtcdVersion()}: the defrag preflight with the LEADER hung waits out the election and refuses on what follows: the old leader is an unreachable voter`, {timeout: 180_000}, async () => {
	const cluster = await startCluster({members: 3});
	const endpoints = cluster.endpoints.join(',');
	await runEtcdctl(['--endpoints', endpoints, 'put', 'a', '1']);
	const hung = await leaderName(cluster);
	cluster.signal(hung, 'SIGSTOP');
	let result: CliResult;
	try {
		result = await startCli(['defrag', '--compact', '--yes', '--endpoints', endpoints], 90_000);
	} finally {
		cluster.signal(hung, 'SIGCONT');
	}
	const text = result.stdout + result.stderr;
	assert.equal(result.code, 2, text);
	// Never "no member answered the member list": they answered, that an election was under way.
	assert.doesNotMatch(text, /no member answered the member list|the cluster has no leader/);
	assert.match(result.stderr, new RegExp(`preflight: voter ${hung} \\(\\w+\\) is unreachable \\(timeout`), text);
	assert.match(result.stderr, /nothing was changed/);
	// What the run met, for the record: whether it had to wait (it does when it asks before the others elected).
	const waited = /waited \d+\.\ds for an election[^\n]*/.exec(text)?.[0];
	console.log(`# ${testEtcdVersion()}: hung leader ${hung}; ${waited ?? 'no election wait: the others had elected a leader before the first look'}`);
	assert.ok(!cluster.members.some(member => readLog(member.logFile).includes('defragmenting')), 'no member was defragmented');
});

test(`etcd ${testEtcdVersion()}: member replace of the LEADER right after kill -9: it waits for the others to elect one, then removes it once and adds the new member`, {timeout: 180_000}, async () => {
	const cluster = await startCluster({members: 3});
	const endpoints = cluster.endpoints.join(',');
	const dead = await leaderName(cluster);
	const {peer, client} = await newUrls();
	await cluster.kill(dead);
	// No start command: once the new member is added the run waits for it to start; --wait-timeout ends that
	// wait. It also bounds etcd's "unhealthy cluster" deferrals of the add (the new leader's peer connections
	// are under 5 s old right after the election): 15 s leaves room for them.
	const result = await startCli(['member', 'replace', dead, '--new-name', 'etcd-9', '--new-peer-url', peer, '--new-client-url', client, '--yes', '--wait-timeout', '15s', '--endpoints', endpoints], 120_000);
	const text = result.stdout + result.stderr;
	assert.match(result.stdout, /member remove [0-9a-f]+ {2}# ok/, text);
	assert.equal(text.match(/member remove [0-9a-f]+ /g)?.length, 1, `one removal, never one sent while nobody leads:\n${text}`);
	assert.doesNotMatch(text, /member remove [0-9a-f]+ {2}# failed|no member answered the member list/, text);
	assert.match(result.stdout, /member add etcd-9 --peer-urls=http:\/\/127\.0\.0\.1:\d+ --learner {2}# ok/, text);
	assert.match(text, /timed out after 15s waiting for etcd-9 to start/);
	const waited = /waited \d+\.\ds for an election[^\n]*/.exec(text)?.[0];
	console.log(`# ${testEtcdVersion()}: killed leader ${dead}; ${waited ?? 'no election wait: the others had elected a leader before the first look'}`);

	const survivors = cluster.members.filter(member => member.name !== dead).map(member => member.clientUrl).join(',');
	const listed = await runEtcdctl(['--endpoints', survivors, 'member', 'list']);
	assert.equal(listed.code, 0, listed.stderr);
	assert.doesNotMatch(listed.stdout, new RegExp(`, ${dead}, `), 'the dead leader is gone');
	assert.match(listed.stdout, new RegExp(`unstarted, , ${peer.replace(/[.:/]/g, '\\$&')}, , true`), listed.stdout);
});

const hasStrace = spawnSync('strace', ['-V'], {stdio: 'ignore'}).status === 0;

test(`etcd ${testEtcdVersion()}: the decisions' member list is current even from a member that lags behind (3.4's MemberList is serializable only)`, {skip: hasStrace ? false : 'strace is not installed', timeout: 180_000}, async () => {
	const cluster = await startCluster({members: 3});
	const endpoints = cluster.endpoints.join(',');
	const leader = cluster.member(await leaderName(cluster));
	const lagging = cluster.members.find(member => member.name !== leader.name)!;
	// A learner that never starts, added while all is well (etcd's reconfiguration check wants peers connected
	// for 5 s; an add that answered with an error may still have been applied: the list says).
	const peerUrl = `http://127.0.0.1:${await freePort()}`;
	const learnerId = await until('etcd to accept a learner', async () => {
		await runEtcdctl(['--endpoints', leader.clientUrl, 'member', 'add', 'gone-soon', '--learner', `--peer-urls=${peerUrl}`]);
		const listed = await runEtcdctl(['--endpoints', leader.clientUrl, 'member', 'list']);
		return new RegExp(`^([0-9a-f]+), unstarted, , ${peerUrl}, `, 'm').exec(listed.stdout)?.[1];
	}, 60_000, 500);
	// A real slow disk on one follower: each fdatasync 0.5 s longer. It applies nothing new while its raft
	// loop waits on the disk, so it goes on listing a member the others have removed, for up to 0.5 s. (Much
	// longer, and its read index, which waits on several of those, would near etcd's request timeout, 7 s.)
	const pid = cluster.pid(lagging.name)!;
	const strace: ChildProcess = spawn('strace', ['-qq', '-f', '-e', 'trace=fdatasync', '-e', 'signal=none', '-e', 'inject=fdatasync:delay_exit=500000', '-o', '/dev/null', '-p', String(pid)], {stdio: 'ignore'});
	const clients = new Map<string, MemberClient>();
	const clientFor = (endpoint: string) => clients.get(endpoint) ?? clients.set(endpoint, new MemberClient(endpoint, {dialTimeoutMs: 5000, commandTimeoutMs: 20_000})).get(endpoint)!;
	const writer = new Etcd3({hosts: leader.clientUrl});
	try {
		await until('strace to attach', () => (/TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, 'utf8')) ? true : undefined), 10_000, 50);
		// The main thread is traced first; -f reaches etcd's other threads a moment later.
		await new Promise(resolve => setTimeout(resolve, 500));
		const lagged = clientFor(lagging.clientUrl);
		await lagged.status(5000);
		const leading = clientFor(leader.clientUrl);
		await leading.status(5000);
		// A write holds the follower's raft loop in its fdatasync; the removal commits on the other two meanwhile
		// (in this process, back to back: milliseconds, well within the 0.5 s).
		await writer.put('busy').value('disk');
		await leading.memberRemove(learnerId, 20_000);
		const stale = await lagged.memberList(20_000);
		const asked = performance.now();
		const observed = await observeCluster(clientFor, {seeds: [lagging.clientUrl], isLinearizable: true, listTimeoutMs: 20_000, statusTimeoutMs: 5000});
		console.log(`# ${testEtcdVersion()}: the lagging follower's current list took ${Math.round(performance.now() - asked)} ms`);
		assert.ok(stale.members.some(member => member.id === learnerId), 'the follower\'s own (serializable) list is stale: the removed learner is still in it');
		assert.equal(observed.kind, 'observed');
		if (observed.kind !== 'observed') return;
		const {reading} = observed;
		assert.equal(reading.listFrom?.endpoint, lagging.clientUrl, 'the list came from the lagging follower');
		assert.deepEqual(reading.members.map(member => member.name).sort(), cluster.members.map(member => member.name).sort(), 'the current list: the learner is gone');
		const source = memberListSource(reading.listFrom, reading.members, reading.statuses)?.text ?? '';
		assert.match(source, new RegExp(`^member list read from ${lagging.name} (\\(linearizable: the cluster's current list\\)|\\(etcd 3\\.4\\.\\d+: after a linearizable read through it\\): the cluster's current list)$`));
	} finally {
		process.kill(strace.pid!, 'SIGTERM');
		writer.close();
		for (const client of clients.values()) client.close();
	}
	const listed = await runEtcdctl(['--endpoints', endpoints, 'member', 'list']);
	assert.doesNotMatch(listed.stdout, /gone-soon|unstarted/);
});

function readLog(file: string): string {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return '';
	}
}
