import assert from 'node:assert/strict';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {newUrls} from '../helpers/remote-members.js';
import {TmuxSession} from '../helpers/tmux.js';

// The add wizard on a real cluster: learner by default, nothing changes before the new name is typed,
// and the settings on screen are complete: the new member is started from what the screen shows.
const cluster = await startCluster({members: 3});
const dir = mkdtempSync(join(tmpdir(), 'etcdtop-wizard-e2e-'));
const sessions: TmuxSession[] = [];
// New members are started with cluster.startExtra: the cluster ends them by PID with its own.
after(() => {
	for (const session of sessions) session.close();
	rmSync(dir, {recursive: true, force: true});
});

/** The screen's rows, each row cut at the pane's edge joined to the next: a value drawn whole reads back entire. */
function unwrapped(screen: string, columns: number): string {
	const out: string[] = [];
	let line = '';
	for (const row of screen.split('\n')) {
		line += row;
		if ([...row].length < columns) {
			out.push(line);
			line = '';
		}
	}
	return [...out, line].join('\n');
}

async function memberNames(): Promise<string[]> {
	const list = await runEtcdctl(['--endpoints', cluster.endpoints.join(','), 'member', 'list']);
	return list.stdout.trim().split('\n');
}

for (const [columns, name] of [[120, 'etcd-4'], [80, 'etcd-5']] as const) {
	test(`a at ${columns} columns: learner by default, typed name first, complete settings to start it from the screen`, {timeout: 240_000}, async () => {
		const urls = await newUrls();
		const logFile = join(dir, `${name}.log`);
		const before = await memberNames();
		const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', cluster.endpoints.join(','), '--command-log', logFile, '--wait-timeout', '3m'], {columns, rows: 40});
		sessions.push(session);
		await session.waitFor(screen => / ok /.test(screen), 30_000);
		session.sendKeys('a');
		await session.waitFor('Add member');
		for (const value of [name, urls.peer, urls.client]) {
			session.sendKeys('-l', value);
			session.sendKeys('Enter');
		}
		session.sendKeys('Enter');
		await session.waitFor('> join as: [learner] voter');
		session.sendKeys('Enter');
		const confirm = unwrapped(await session.waitFor(`type "${name}"`, 30_000), columns);
		assert.match(confirm, new RegExp(`add ${name} \\(${urls.peer}\\) as a learner`));
		assert.match(confirm, /quorum now: \d voters, quorum \d/);
		assert.match(confirm, /quorum after the add: \d voters/);
		assert.deepEqual(await memberNames(), before, 'nothing changes before the typed name');
		session.sendKeys('-l', name);
		session.sendKeys('Enter');
		const waiting = unwrapped(await session.waitFor(screen => /nothing listens there/.test(unwrapped(screen, columns)), 60_000), columns);
		const env = Object.fromEntries([...waiting.matchAll(/export (ETCD_[A-Z_]+)=(\S+)/g)].map(match => [match[1]!, match[2]!.replace(/^'|'$/g, '')]));
		assert.deepEqual(Object.keys(env).sort(), ['ETCD_INITIAL_ADVERTISE_PEER_URLS', 'ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_CLUSTER_STATE', 'ETCD_NAME']);
		assert.equal(env['ETCD_INITIAL_CLUSTER']!.split(',').length, before.length + 1);
		assert.ok(env['ETCD_INITIAL_CLUSTER']!.includes(`${name}=${urls.peer}`));
		for (const line of waiting.split('\n')) if (/ETCD_|--initial-cluster|--etcd-servers/.test(line)) assert.doesNotMatch(line, /…/, 'nothing to copy is cut');
		assert.match((await memberNames()).join('\n'), /unstarted.*true|true.*unstarted|, , .*true/, 'added as a learner, not started');
		// The dashboard while the change waits: the new row carries the name it was added under, not its ID.
		session.sendKeys('1');
		const dashboard = await session.waitFor(screen => screen.split('\n').some(line => new RegExp(`^[> ] ${name} +unstarted`).test(line)), 30_000);
		assert.match(dashboard, /R returns to it|a returns to it/);
		session.sendKeys('a');
		await session.waitFor('esc stops before the next step');
		// Started with exactly what the screen shows: its env and its URL flags.
		const urlFlags = /etcd (--listen-peer-urls=\S+ --advertise-client-urls=\S+ --listen-client-urls=\S+) --data-dir=EMPTY_DATA_DIR/.exec(waiting)?.[1];
		assert.ok(urlFlags, waiting);
		cluster.startExtra(name, {env, args: urlFlags.split(' ')});
		const done = await session.waitFor(/done: .* is a healthy voter/, 180_000);
		assert.match(unwrapped(done, columns), /kube-apiserver: --etcd-servers=\S+/);
		const log = readFileSync(logFile, 'utf8');
		assert.match(log, new RegExp(`\\[settings\\]     export ETCD_INITIAL_CLUSTER=\\S*${name}=`));
		assert.match(log, /\[add\] etcdctl .* member add .* --learner -> ok/);
		assert.match(log, /\[promote\] etcdctl .* member promote [0-9a-f]+ -> ok/);
		session.sendKeys('Escape');
		session.sendKeys('q');
		assert.equal(await session.waitForExit(), 0);
		assert.match((await memberNames()).join('\n'), new RegExp(`started, ${name}, .*, false`));
	});
}

/** Moves the selection to `name`'s row with j (the row order is the member list's). */
async function select(session: TmuxSession, name: string): Promise<void> {
	const isOn = (screen: string) => screen.split('\n').some(line => line.startsWith(`> ${name} `));
	for (let tries = 0; tries < 8 && !isOn(session.capture()); tries++) {
		const before = session.capture().split('\n').find(line => line.startsWith('> ')) ?? '';
		session.sendKeys('j');
		await session.waitFor(screen => (screen.split('\n').find(line => line.startsWith('> ')) ?? '').slice(0, 12) !== before.slice(0, 12), 5000);
	}
	await session.waitFor(isOn);
}

for (const [columns, failed, name] of [[120, 'etcd-2', 'etcd-6'], [80, 'etcd-3', 'etcd-7']] as const) {
	test(`R at ${columns} columns: the settings whole while it waits, 3 opens the log pane meanwhile, w writes them to a 0600 file, started from the screen`, {timeout: 240_000}, async () => {
		await cluster.kill(failed);
		const urls = await newUrls();
		const logFile = join(dir, `${name}.log`);
		// The working directory is where w writes the settings.
		const session = TmuxSession.start(['env', '-C', dir, process.execPath, cliPath, '--endpoints', cluster.endpoints.join(','), '--command-log', logFile, '--wait-timeout', '3m'], {columns, rows: 40});
		sessions.push(session);
		await session.waitFor(screen => screen.split('\n').some(line => new RegExp(`^[> ] ${failed} .*(refused|unreachable|down)`).test(line)), 30_000);
		await select(session, failed);
		session.sendKeys('R');
		await session.waitFor(`Replace member ${failed}`);
		for (const value of [name, urls.peer, urls.client, '']) {
			if (value) session.sendKeys('-l', value);
			session.sendKeys('Enter');
		}
		await session.waitFor(`type "${failed}"`, 30_000);
		session.sendKeys('-l', failed);
		session.sendKeys('Enter');
		const waiting = unwrapped(await session.waitFor(screen => /nothing listens there/.test(unwrapped(screen, columns)), 60_000), columns);
		const env = Object.fromEntries([...waiting.matchAll(/export (ETCD_[A-Z_]+)=(\S+)/g)].map(match => [match[1]!, match[2]!.replace(/^'|'$/g, '')]));
		const initialCluster = env['ETCD_INITIAL_CLUSTER'] ?? '';
		assert.ok(initialCluster.includes(`${name}=${urls.peer}`), waiting);
		assert.ok(!initialCluster.includes(`${failed}=`), 'the failed member is gone from the initial cluster');
		for (const line of waiting.split('\n')) if (/ETCD_|--initial-cluster|--etcd-servers/.test(line)) assert.doesNotMatch(line, /…/, 'nothing to copy is cut');
		// The log pane opens while the change waits; the change goes on behind it, and R returns to it.
		session.sendKeys('3');
		const log = unwrapped(await session.waitFor('EVENT LOG'), columns);
		assert.match(log, new RegExp(`Replace member ${failed} runs \\(start\\) · R returns to it`));
		// The newest lines that fit: /metrics findings may follow the settings, so either form of the value, whole.
		assert.ok(log.includes(`settings:     export ETCD_INITIAL_CLUSTER=${initialCluster}`) || log.includes(`settings:     - --initial-cluster=${initialCluster}`), log);
		session.sendKeys('R');
		// The wizard's own key line: the banner over the log pane names the change too.
		await session.waitFor('esc stops before the next step');
		session.sendKeys('w');
		const written = unwrapped(await session.waitFor(screen => /settings written to/.test(unwrapped(screen, columns))), columns);
		const file = readdirSync(dir).find(entry => entry.startsWith(`etcdtop-${name}-settings-`));
		assert.ok(file, readdirSync(dir).join(' '));
		assert.ok(written.includes(`settings written to ${join(dir, file)} (mode 0600)`), written);
		assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
		assert.ok(readFileSync(join(dir, file), 'utf8').includes(`export ETCD_INITIAL_CLUSTER=${initialCluster}`));
		const urlFlags = /etcd (--listen-peer-urls=\S+ --advertise-client-urls=\S+ --listen-client-urls=\S+) --data-dir=EMPTY_DATA_DIR/.exec(waiting)?.[1];
		assert.ok(urlFlags, waiting);
		cluster.startExtra(name, {env, args: urlFlags.split(' ')});
		const done = unwrapped(await session.waitFor(/done: .* is a healthy voter/, 180_000), columns);
		const servers = /kube-apiserver: --etcd-servers=(\S+)/.exec(done)?.[1] ?? '';
		assert.ok(servers.includes(urls.client), done);
		assert.equal(servers.split(',').length, 5, done);
		assert.ok(readFileSync(logFile, 'utf8').includes(`[settings]     export ETCD_INITIAL_CLUSTER=${initialCluster}`));
		assert.match(readFileSync(logFile, 'utf8'), new RegExp(`\\[settings\\] kube-apiserver: --etcd-servers=${servers.replaceAll('.', '\\.')}`));
		session.sendKeys('Escape');
		session.sendKeys('q');
		assert.equal(await session.waitForExit(), 0);
	});
}
