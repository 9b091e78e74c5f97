import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {after, test} from 'node:test';
import {cliPath, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {TmuxSession} from '../helpers/tmux.js';

const cluster = await startCluster({members: 3});
const endpoints = cluster.endpoints.join(',');
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
});

function open(args: string[] = [], options: {columns?: number; rows?: number; env?: Record<string, string>} = {}): TmuxSession {
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints, ...args], options);
	sessions.push(session);
	return session;
}

/** The row of one member on the dashboard, e.g. "  etcd-2       timeout 3s  ...". */
function row(screen: string, name: string): string {
	return screen.split('\n').find(line => new RegExp(`^[> ] ${name} `).test(line)) ?? '';
}

function indexOf(screen: string, name: string): number {
	// NAME STATE ROLE TERM INDEX: the index is the second number after the role.
	const match = /(leader|follower)\s+(\d+)\s+(\d+)/.exec(row(screen, name));
	return match ? Number(match[3]) : Number.NaN;
}

const leaderOf = (screen: string) => /leader (etcd-\d)/.exec(screen)?.[1];

async function write(count: number): Promise<void> {
	for (let index = 0; index < count; index++) await runEtcdctl(['--endpoints', endpoints, 'put', `key-${index}`, `value-${index}`]);
}

test('the console fills the screen, shows every member, and q leaves the alternate screen with exit 0', async () => {
	const session = open([], {columns: 80, rows: 24});
	const screen = await session.waitFor(text => ['etcd-1', 'etcd-2', 'etcd-3'].every(name => row(text, name).includes(' ok ')));
	assert.match(screen, /HEALTHY/);
	assert.match(screen, /quorum 2\/3 tolerates 1/);
	assert.equal(session.format('alternate_on'), '1');
	const lines = screen.split('\n');
	assert.ok(lines.every(line => line.length <= 80), 'nothing wider than 80 columns');
	// The hint bar keeps whole hints that fit 80 columns, the log and the replacement among them.
	const hints = lines.find(line => /^(q|enter details|R replace)\b/.test(line) && line.includes('? help')) ?? '';
	for (const hint of ['q quit', '? help', '3 log', 'R replace']) assert.ok(hints.includes(hint), `${hint} in the hint bar: ${hints}`);
	session.sendKeys('?');
	await session.waitFor('select next member');
	session.sendKeys('Escape');
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
	assert.equal(session.format('alternate_on'), '0');
});

test('the dashboard agrees with etcdctl endpoint status: IDs, leader, term, version', async () => {
	const session = open([], {columns: 160, rows: 30});
	const screen = await session.waitFor(text => ['etcd-1', 'etcd-2', 'etcd-3'].every(name => row(text, name).includes(' ok ')) && leaderOf(text) !== undefined);
	const theirs = await runEtcdctl(['--endpoints', endpoints, 'endpoint', 'status', '-w', 'json']);
	const etcdctl = JSON.parse(theirs.stdout.replace(/:(\d{16,})/g, ':"$1"')) as Array<{Status: {header: {member_id: string}; leader: string; raftTerm: number; version: string}}>;
	for (const entry of etcdctl) {
		const id = BigInt(entry.Status.header.member_id).toString(16);
		const line = screen.split('\n').find(candidate => candidate.includes(` ${id} `));
		assert.ok(line, `member ${id} is on the dashboard`);
		assert.match(line, new RegExp(`(leader|follower)\\s+${entry.Status.raftTerm}\\s`), 'same raft term');
		assert.ok(line.includes(entry.Status.version), 'same version');
		assert.equal(/\bleader\b/.test(line.replace(/^[> ] \S+\s+\S+\s+/, '')), BigInt(entry.Status.leader).toString(16) === id, 'same leader');
	}
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
});

test('a SIGSTOPped follower shows "timeout" while the others keep updating', async () => {
	const session = open();
	const first = await session.waitFor(text => leaderOf(text) !== undefined && ['etcd-1', 'etcd-2', 'etcd-3'].every(name => row(text, name).includes(' ok ')));
	const leader = leaderOf(first)!;
	const follower = ['etcd-1', 'etcd-2', 'etcd-3'].find(name => name !== leader)!;
	const other = ['etcd-1', 'etcd-2', 'etcd-3'].find(name => name !== leader && name !== follower)!;
	cluster.signal(follower, 'SIGSTOP');
	try {
		const stopped = await session.waitFor(text => /timeout \d+s/.test(row(text, follower)), 10_000);
		assert.match(stopped, /DEGRADED/);
		const before = indexOf(stopped, other);
		await write(5);
		const moved = await session.waitFor(text => indexOf(text, other) >= before + 5 && /timeout \d+s/.test(row(text, follower)), 10_000);
		assert.match(row(moved, leader), / ok /);
	} finally {
		cluster.signal(follower, 'SIGCONT');
	}
	await session.waitFor(text => row(text, follower).includes(' ok '), 15_000);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
});

test('a killed member shows "refused" and comes back when restarted', async () => {
	const session = open();
	const first = await session.waitFor(text => leaderOf(text) !== undefined && row(text, 'etcd-3').includes(' ok '));
	const victim = ['etcd-1', 'etcd-2', 'etcd-3'].find(name => name !== leaderOf(first))!;
	await cluster.kill(victim);
	await session.waitFor(text => /refused \d+s/.test(row(text, victim)), 10_000);
	cluster.restart(victim);
	await session.waitFor(text => row(text, victim).includes(' ok '), 20_000);
	session.sendKeys('3');
	const log = await session.waitFor('EVENT LOG');
	// The row ends at "refused"; the log keeps the first failure, which on a connection that was open when
	// the process died (etcd 3.5 here, every time) is the dropped connection.
	assert.match(log, new RegExp(`${victim} is unreachable: (refused|unreachable \\(Connection dropped\\))`));
	assert.match(log, new RegExp(`${victim} answers again`));
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
});

test('killing the leader shows the new leader and a leader-change event', async () => {
	const session = open();
	const first = await session.waitFor(text => leaderOf(text) !== undefined && ['etcd-1', 'etcd-2', 'etcd-3'].every(name => row(text, name).includes(' ok ')));
	const oldLeader = leaderOf(first)!;
	await cluster.kill(oldLeader);
	try {
		const elected = await session.waitFor(text => leaderOf(text) !== undefined && leaderOf(text) !== oldLeader, 20_000);
		// A killed member whose connection was open reads "unreachable" (reset) before "refused".
		assert.match(row(elected, oldLeader), /refused|timeout|unreachable/);
		// A poll that lands inside the election sees no leader for a moment: then the log says so, and
		// who was elected, instead of one "changed" line.
		await session.waitFor(new RegExp(`leader changed: ${oldLeader} -> etcd-\\d|no leader \\(last was ${oldLeader}\\)[\\s\\S]*leader elected: etcd-\\d`), 10_000);
	} finally {
		cluster.restart(oldLeader);
	}
	await session.waitFor(text => row(text, oldLeader).includes(' ok '), 20_000);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
});

test('NO_COLOR: no colour codes, the state still in words; RO badge; resizing redraws', async () => {
	const session = open(['--read-only'], {env: {NO_COLOR: '1'}});
	await session.waitFor('HEALTHY');
	// 39/49 only reset to the default colours; any other foreground/background code is a colour.
	assert.doesNotMatch(session.captureWithEscapes(), /\u001B\[(?:\d+;)*(3[0-8]|4[0-8]|9\d|10\d)m/);
	assert.match(session.capture(), / RO /);
	session.resize(80, 24);
	const small = await session.waitFor(text => text.trimEnd().split('\n').length <= 24 && text.includes('HEALTHY') && text.includes('q quit'));
	assert.ok(small.split('\n').every(line => line.length <= 80));
	session.sendKeys('C-c');
	assert.equal(await session.waitForExit(), 0);
});

test('demo starts a cluster, opens the console on it, and removes everything on exit', async () => {
	const session = TmuxSession.start([process.execPath, cliPath, 'demo', '--members', '1'], {columns: 100, rows: 30});
	sessions.push(session);
	const screen = await session.waitFor(text => text.includes('HEALTHY') && /demo-1\s+ok/.test(text), 30_000);
	assert.match(screen, /1\/1 voters up/);
	// The pane runs sh, which runs etcdtop, which runs etcd: find etcd among the pane's process group.
	const children = (await import('node:child_process')).execFileSync('ps', ['-o', 'pid=,args=', '-g', String(session.panePid)], {encoding: 'utf8'});
	const etcdPid = Number(/^\s*(\d+)\s+etcd /m.exec(children)?.[1]);
	const dataDir = /--data-dir=(\S+)/.exec(children)?.[1];
	assert.ok(etcdPid > 0 && dataDir, children);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(20_000), 0);
	assert.equal(existsSync(dataDir!), false, 'data removed');
	assert.throws(() => process.kill(etcdPid, 0), 'etcd ended');
});

test('demo without etcd on PATH says how to install it, exit 3', async () => {
	const {runCli} = await import('../helpers/cli.js');
	const result = await runCli(['demo'], {env: {PATH: '/nonexistent'}});
	assert.equal(result.code, 3);
	assert.match(result.stderr, /"etcd" was not found on PATH.*apt-get install -y etcd-server/);
	assert.doesNotMatch(result.stderr, /\n\s+at /);
});
