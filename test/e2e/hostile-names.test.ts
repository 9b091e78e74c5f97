import assert from 'node:assert/strict';
import {lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {spawnSync} from 'node:child_process';
import {parse as parseYaml} from 'yaml';
import {cliPath, runCli} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {TmuxSession} from '../helpers/tmux.js';

// etcd accepts any --name: this one would retitle the terminal, ring its bell, clear it, and turn the
// rest of the line around, if anything printed it raw.
const hostile = 'h\u001b]0;pwned\u0007\u001b[2J\u001b[31m\u202eevil';
const shown = 'h\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\\u202eevil';
const cluster = await startCluster({members: 1, namePrefix: hostile});
const name = `${hostile}-1`;
const endpoint = cluster.endpoints[0]!;
const scratch = mkdtempSync(join(tmpdir(), 'etcdtop-hostile-'));
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
	rmSync(scratch, {recursive: true, force: true});
});

/** No ESC, BEL, other C0/C1 control or bidi control. */
function assertCleanOf(text: string, what: string): void {
	assert.doesNotMatch(text, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/, `${what} carries a raw control byte: ${JSON.stringify(text)}`);
}

/** No ESC, BEL, other C0/C1 control or bidi control, and the name shown as its escapes. */
function assertClean(text: string, what: string): void {
	assert.doesNotMatch(text, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/, `${what} carries a raw control byte: ${JSON.stringify(text)}`);
	assert.ok(text.includes(shown), `${what} does not show the name as escapes: ${JSON.stringify(text)}`);
}

test('status -w table and -w simple show the name as escapes; -w json stays valid JSON with the real name', async () => {
	for (const format of ['table', 'simple']) {
		const result = await runCli(['status', '-w', format, '--endpoints', endpoint]);
		assert.equal(result.code, 0, result.stderr);
		assertClean(result.stdout, `status -w ${format}`);
	}
	const json = await runCli(['status', '-w', 'json', '--endpoints', endpoint]);
	assert.doesNotMatch(json.stdout, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E]/);
	const parsed = JSON.parse(json.stdout) as {members: Array<{name: string}>};
	assert.equal(parsed.members[0]!.name, name);
});

test('snapshot save and restore-plan print the name as escapes', async () => {
	const file = join(scratch, 'hostile.db');
	const save = await runCli(['snapshot', 'save', file, '--endpoints', endpoint]);
	assert.equal(save.code, 0, save.stderr);
	assertClean(save.stdout + save.stderr, 'snapshot save');
	const plan = await runCli(['snapshot', 'restore-plan', file, '--data-dir', join(scratch, 'restored-{name}'), '--endpoints', endpoint]);
	assert.equal(plan.code, 0, plan.stderr);
	assertClean(plan.stdout, 'snapshot restore-plan');
});

test('member add prints the start settings with the existing name as escapes', async () => {
	const result = await runCli(['member', 'add', 'newcomer', '--peer-url', 'http://127.0.0.1:1', '--learner', '--endpoints', endpoint, '--yes']);
	assertClean(result.stdout + result.stderr, 'member add');
	// What is copied gives back the real name: the export line run by bash, the static pod lines read as YAML.
	const lines = result.stdout.split('\n');
	const exported = lines.find(line => line.trim().startsWith('export ETCD_INITIAL_CLUSTER='))!.trim();
	const shell = spawnSync('bash', ['-c', `${exported}; printf %s "$ETCD_INITIAL_CLUSTER"`], {encoding: 'utf8', env: {PATH: process.env['PATH'] ?? '', LC_ALL: 'C.UTF-8'}});
	assert.equal(shell.status, 0, shell.stderr);
	assert.ok(shell.stdout.split(',').some(entry => entry.startsWith(`${name}=http://`)), JSON.stringify(shell.stdout));
	const pod = parseYaml(`command:\n${lines.filter(line => line.startsWith('    - ')).join('\n')}\n`) as {command: string[]};
	assert.ok(pod.command.some(flag => flag.startsWith('--initial-cluster=') && flag.split('=').slice(1).join('=').split(',').some(entry => entry.startsWith(`${name}=http://`))), JSON.stringify(pod.command));
});

test('the console draws the name as escapes and the terminal title stays untouched', async () => {
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoint]);
	sessions.push(session);
	const screen = await session.waitFor(text => text.includes('evil-1') && /\bok\b/.test(text));
	assertClean(screen, 'console');
	assert.notEqual(session.format('pane_title'), 'pwned');
	assert.doesNotMatch(session.captureWithEscapes(), /\u001b\]0;|\u202e/);
	// The event log (3): a member that stops answering is logged by its name.
	cluster.signal(name, 'SIGSTOP');
	try {
		session.sendKeys('3');
		const log = await session.waitFor(text => /evil-1 is unreachable/.test(text), 30_000);
		assertClean(log, 'event log');
		assert.doesNotMatch(session.captureWithEscapes(), /\u001b\]0;|\u202e/);
	} finally {
		cluster.signal(name, 'SIGCONT');
	}
	session.sendKeys('q');
});

test('a snapshot whose file name and manifest carry control bytes: listed and pruned with them shown as escapes', async () => {
	const directory = join(scratch, 'hostile-dir');
	mkdirSync(directory);
	const file = join(directory, 'a\u001b[2J\u202eb.db');
	const save = await runCli(['snapshot', 'save', file, '--endpoints', endpoint]);
	assert.equal(save.code, 0, save.stderr);
	assertCleanOf(save.stdout + save.stderr, 'snapshot save of a hostile FILE');
	const list = await runCli(['snapshot', 'list', directory]);
	assert.equal(list.code, 0, list.stderr);
	assertCleanOf(list.stdout, 'snapshot list');
	assert.match(list.stdout, /a\\x1b\[2J\\u202eb\.db/);
	// Its manifest is about to claim another file: retention leaves it, and says so without its bytes.
	const manifestPath = `${file}.meta.json`;
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {file: string};
	writeFileSync(manifestPath, JSON.stringify({...manifest, file: 'x\u0007\u001b]0;pwned\u0007.db'}));
	const prune = await runCli(['snapshot', 'prune', directory, '--keep', '1']);
	assert.equal(prune.code, 0, prune.stderr);
	assertCleanOf(prune.stdout + prune.stderr, 'snapshot prune');
	assert.match(prune.stderr, /left a\\x1b\[2J\\u202eb\.db alone: its manifest names another file/);
	const relisted = await runCli(['snapshot', 'list', directory]);
	assertCleanOf(relisted.stdout, 'snapshot list');
	assert.match(relisted.stdout, /not its manifest/);
});

test('a snapshot directory another user planted as a link: save, list, prune and the console refuse it (exit 3) and write nothing there', {skip: process.geteuid?.() !== 0 && 'needs root to chown the link to nobody'}, async () => {
	const home = join(scratch, 'planted-home');
	const elsewhere = join(scratch, 'attacker-target');
	mkdirSync(join(home, 'etcdtop'), {recursive: true, mode: 0o700});
	mkdirSync(elsewhere, {mode: 0o700});
	// The default --snapshot-dir ($XDG_DATA_HOME/etcdtop/snapshots), a link made by uid 65534 (nobody).
	const planted = join(home, 'etcdtop', 'snapshots');
	symlinkSync(elsewhere, planted);
	lchownSync(planted, 65534, 65534);
	const env = {XDG_DATA_HOME: home};
	const refused = new RegExp(`${planted.replaceAll('/', '\\/')} is a symbolic link owned by uid 65534, not by this user \\(uid 0\\) or root: its owner decides where snapshots go \\(remove the link, or give --snapshot-dir a directory of your own\\)`);
	for (const args of [
		['snapshot', 'save', '--endpoints', endpoint],
		['snapshot', 'save', '--snapshot-dir', planted, 'named.db', '--endpoints', endpoint],
		['snapshot', 'list'],
		['snapshot', 'prune', '--keep', '1'],
		['snapshot', 'prune', planted, '--keep', '1'],
	]) {
		const result = await runCli(args, {env});
		assert.equal(result.code, 3, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
		assert.match(result.stderr, refused, args.join(' '));
	}
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoint], {env});
	sessions.push(session);
	assert.equal(await session.waitForExit(30_000), 3);
	assert.deepEqual(readdirSync(elsewhere), []);
});
