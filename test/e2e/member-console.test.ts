import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {newUrls, RemoteMembers, sshFlags} from '../helpers/remote-members.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';
import {TmuxSession} from '../helpers/tmux.js';

const skip = hasSshd() ? false : 'OpenSSH sshd is not installed';

const cluster = skip ? undefined : await startCluster({members: 3});
const sshd = skip ? undefined : await TestSshd.start();
const remote = new RemoteMembers();
const sessions: TmuxSession[] = [];
after(async () => {
	for (const session of sessions) session.close();
	const isKeeping = process.exitCode !== undefined && process.exitCode !== 0;
	await remote.stop(isKeeping);
	await sshd?.dispose({isKeepingFiles: isKeeping});
});

function row(screen: string, name: string): string {
	return screen.split('\n').find(line => new RegExp(`^[> ] ${name} `).test(line)) ?? '';
}

test('R in the console replaces a dead member: form, typed name, start over SSH, catch-up, promote', {skip, timeout: 300_000}, async () => {
	const endpoints = cluster!.endpoints.join(',');
	await runEtcdctl(['--endpoints', endpoints, 'put', 'before-failure', 'kept']);
	await cluster!.kill('etcd-3');
	rmSync(cluster!.member('etcd-3').dataDir, {recursive: true, force: true});
	const urls = await newUrls();
	const logDir = mkdtempSync(join(tmpdir(), 'etcdtop-member-console-'));
	const commandLog = join(logDir, 'commands.log');
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints, '--wait-timeout', '3m', '--command-log', commandLog, ...sshFlags(sshd!, 'etcd-4')], {columns: 140, rows: 45});
	sessions.push(session);
	await session.waitFor(screen => /refused|down|unreachable/.test(row(screen, 'etcd-3')) && / ok /.test(row(screen, 'etcd-1')), 30_000);
	const selected = (screen: string) => screen.split('\n').find(line => line.startsWith('> ')) ?? '';
	for (let tries = 0; tries < 5 && !row(session.capture(), 'etcd-3').startsWith('>'); tries++) {
		const before = selected(session.capture());
		session.sendKeys('j');
		await session.waitFor(screen => selected(screen).slice(0, 12) !== before.slice(0, 12), 5000);
	}
	await session.waitFor(screen => row(screen, 'etcd-3').startsWith('>'));
	session.sendKeys('R');
	await session.waitFor('Replace member etcd-3');
	// The start command says something, to see its output streamed into the log pane.
	for (const value of ['etcd-4', urls.peer, urls.client, `echo starting-etcd-4-now; ${remote.startCommand('etcd-4', urls)}`]) {
		session.sendKeys('-l', value);
		session.sendKeys('Enter');
	}
	const confirm = await session.waitFor('type "etcd-3"', 30_000);
	assert.match(confirm, /now 2\/3 voters reachable, quorum 2/);
	session.sendKeys('-l', 'etcd-3');
	session.sendKeys('Enter');
	const done = await session.waitFor(/done: etcd-4 .* is a healthy voter/, 180_000);
	assert.match(done, /--etcd-servers=/);
	assert.match(done, /member promote/);
	session.sendKeys('Escape');
	await session.waitFor(screen => / ok /.test(row(screen, 'etcd-4')) && !screen.includes('Replace member'), 30_000);
	session.sendKeys('3');
	// The log pane shows the newest lines that fit (the start settings alone take 20): the whole record of
	// the change, each step with its etcdctl equivalent, is the --command-log.
	const log = await session.waitFor('EVENT LOG');
	assert.match(log, /127\.0\.0\.1:\d+: starting-etcd-4-now/, "the start command's output, from its host");
	const record = readFileSync(commandLog, 'utf8');
	rmSync(logDir, {recursive: true, force: true});
	assert.match(record, /member remove [0-9a-f]+/, 'the removal with its etcdctl equivalent');
	assert.match(record, /member add etcd-4/, 'the add with its etcdctl equivalent');
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);

	const list = await runEtcdctl(['--endpoints', endpoints, 'member', 'list']);
	assert.match(list.stdout, /started, etcd-4, .*, false/);
	assert.doesNotMatch(list.stdout, /etcd-3|unstarted|, true/);
	const read = await runEtcdctl(['--endpoints', urls.client, 'get', 'before-failure', '--consistency=s', '--print-value-only']);
	assert.equal(read.stdout.trim(), 'kept');
});
