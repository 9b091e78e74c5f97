import assert from 'node:assert/strict';
import {existsSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {generateIdentity} from '../../source/snapshot/file/age.js';
import {cliPath, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {testEtcdAtLeast} from '../helpers/etcd-binaries.js';
import {tempDir} from '../helpers/snapshot-fixtures.js';
import {TmuxSession} from '../helpers/tmux.js';

const cluster = await startCluster({members: 3});
const endpoints = cluster.endpoints.join(',');
const dir = tempDir('etcdtop-pane-');
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
	dir.remove();
});

test('pane 2: s saves from the console with progress, the file appears verified, v re-verifies, d deletes after typing its name', {timeout: 300_000}, async () => {
	for (let index = 0; index < 200; index++) await runEtcdctl(['--endpoints', endpoints, 'put', `pane-key-${index}`, 'x'.repeat(2000)]);
	const snapshots = join(dir.path, 'snaps');
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints, '--snapshot-dir', snapshots], {columns: 140, rows: 40});
	sessions.push(session);
	await session.waitFor('etcd-1', 30_000);
	session.sendKeys('2');
	await session.waitFor(/no snapshots yet/, 30_000);
	session.sendKeys('s');
	const saved = await session.waitFor(/etcd-snapshot-\S+\.db .* sha256 ok/, 60_000);
	assert.match(saved, /saved etcd-snapshot-/);
	const names = readdirSync(snapshots);
	const file = names.find(name => name.endsWith('.db'))!;
	assert.ok(names.includes(`${file}.meta.json`), names.join(' '));
	assert.ok(!names.some(name => name.endsWith('.part')));

	session.sendKeys('v');
	await session.waitFor(new RegExp(`${file.replaceAll('.', '\\.')} verified`), 60_000);
	session.sendKeys('Enter');
	await session.waitFor('Restore plan', 30_000);
	// The plan is longer than the screen: j scrolls until the restore commands show.
	// Long commands wrap between words with ` \` continuations (a long --initial-cluster after a comma): join them.
	const details = (await session.scrollUntil(/--initial-cluster-token/)).replace(/ \\\n\s*/g, ' ').replace(/\\\n\s*/g, '');
	// etcd 3.5 restores with etcdutl; 3.4's etcdctl still does.
	assert.match(details, new RegExp(`${testEtcdAtLeast(3, 5) ? 'etcdutl' : 'etcdctl'} snapshot restore \\S+ --name etcd-\\d --initial-cluster`));
	assert.match(details, /--initial-cluster-token etcd-restore-/);
	session.sendKeys('Escape');
	await session.waitFor(/VERIFIED/);

	session.sendKeys('d');
	await session.waitFor(`type "${file}"`);
	session.sendKeys('-l', 'nope');
	await session.waitFor(/cancels\): nope/);
	session.sendKeys('Enter');
	await session.waitFor(screen => !screen.includes(`type "${file}"`));
	assert.ok(existsSync(join(snapshots, file)), 'a wrong name deletes nothing');
	session.sendKeys('d');
	await session.waitFor(`type "${file}"`);
	session.sendKeys('Escape');
	await session.waitFor(screen => !screen.includes(`type "${file}"`));
	assert.ok(existsSync(join(snapshots, file)), 'escape cancels');
	session.sendKeys('d');
	await session.waitFor(`type "${file}"`);
	session.sendKeys('-l', file);
	session.sendKeys('Enter');
	await session.waitFor(`deleted ${file}`, 30_000);
	assert.deepEqual(readdirSync(snapshots), []);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(30_000), 0);
});

test('--read-only: the pane has no delete', {timeout: 120_000}, async () => {
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints, '--snapshot-dir', join(dir.path, 'ro'), '--read-only'], {columns: 140, rows: 40});
	sessions.push(session);
	await session.waitFor('etcd-1', 30_000);
	session.sendKeys('2');
	const screen = await session.waitFor('SNAPSHOTS in');
	assert.match(screen, /s save/);
	assert.doesNotMatch(screen, /d delete/);
	session.sendKeys('q');
	await session.waitForExit(30_000);
});

test('--snapshot-every saves on a schedule while the console runs, and --keep 1 keeps the newest', {timeout: 180_000}, async () => {
	const snapshots = join(dir.path, 'scheduled');
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints, '--snapshot-dir', snapshots, '--snapshot-every', '10s', '--keep', '1'], {columns: 140, rows: 40});
	sessions.push(session);
	await session.waitFor('etcd-1', 30_000);
	session.sendKeys('2');
	await session.waitFor(/next scheduled save in \d+s/, 30_000);
	const databases = () => (existsSync(snapshots) ? readdirSync(snapshots).filter(name => name.endsWith('.db')) : []);
	const first = await waitUntil(() => (databases().length === 1 ? databases()[0] : undefined), 60_000);
	const second = await waitUntil(() => databases().find(name => name !== first), 60_000);
	await waitUntil(() => (databases().length === 1 && databases()[0] === second ? true : undefined), 30_000);
	await session.waitFor(/--keep removed etcd-snapshot-/, 30_000);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(30_000), 0);
});

async function waitUntil<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}

test('with --encrypt-to the pane saves FILE.age, and v verifies it through --identity in the worker', {timeout: 180_000}, async () => {
	const {identity, recipient} = generateIdentity();
	const keyFile = join(dir.path, 'key.txt');
	writeFileSync(keyFile, `${identity}\n`, {mode: 0o600});
	const snapshots = join(dir.path, 'encrypted');
	const session = TmuxSession.start(
		[process.execPath, cliPath, '--endpoints', endpoints, '--snapshot-dir', snapshots, '--encrypt-to', recipient, '--identity', keyFile],
		{columns: 140, rows: 40},
	);
	sessions.push(session);
	await session.waitFor('etcd-1', 30_000);
	session.sendKeys('2');
	await session.waitFor('SNAPSHOTS in');
	session.sendKeys('s');
	await session.waitFor(/etcd-snapshot-\S+\.db\.age .*sha256 ok \(age\)/, 60_000);
	assert.deepEqual(readdirSync(snapshots).filter(name => !name.endsWith('.age') && !name.endsWith('.age.meta.json')), []);
	session.sendKeys('v');
	await session.waitFor(/\.db\.age verified/, 60_000);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(30_000), 0);
});
