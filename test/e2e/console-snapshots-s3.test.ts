import assert from 'node:assert/strict';
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath, runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';
import {testEtcdAtLeast} from '../helpers/etcd-binaries.js';
import {S3Server, s3Credentials} from '../helpers/s3.js';
import {tempDir} from '../helpers/snapshot-fixtures.js';
import {TmuxSession} from '../helpers/tmux.js';

// The console's Snapshots pane with `--snapshot-dir s3://BUCKET/PREFIX/`: the bucket's snapshots beside the
// local snapshot directory's, and s, v, d, enter and --snapshot-every with --keep working on the bucket.
const cluster = await startCluster({members: 1});
const endpoint = cluster.endpoints[0]!;
const s3 = await S3Server.start(['backups']);
const dir = tempDir('etcdtop-pane-s3-');
const sessions: TmuxSession[] = [];
after(async () => {
	for (const session of sessions) session.close();
	await s3.stop();
	dir.remove();
});
// XDG_DATA_HOME places the local snapshot directory (the default --snapshot-dir) inside the test's own dir.
const env = () => ({...s3Credentials, AWS_ENDPOINT_URL_S3: s3.endpoint, XDG_DATA_HOME: dir.path});
const localDir = join(dir.path, 'etcdtop', 'snapshots');
const objects = (prefix: string) => s3.objectKeys().filter(key => key.startsWith(prefix) && key.endsWith('.db'));

test('pane 2 lists the bucket and the local directory side by side; s saves to the bucket, v verifies an object, enter plans its restore, d deletes it after its name is typed', {timeout: 300_000}, async () => {
	for (let index = 0; index < 50; index++) await runEtcdctl(['--endpoints', endpoint, 'put', `pane-s3-${index}`, 'x'.repeat(500)]);
	const local = await runCli(['snapshot', 'save', '--endpoints', endpoint], {env: env(), timeoutMs: 120_000});
	assert.equal(local.code, 0, local.stderr);
	const localFile = readdirSync(localDir).find(name => name.endsWith('.db'))!;
	const remote = await runCli(['snapshot', 'save', 's3://backups/prod/', '--endpoints', endpoint], {env: env(), timeoutMs: 120_000});
	assert.equal(remote.code, 0, remote.stderr);
	assert.equal(objects('prod/').length, 1);
	// Names carry the time to the second: the console's save must not land in the same second.
	await new Promise(resolve => setTimeout(resolve, 1100));

	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoint, '--snapshot-dir', 's3://backups/prod/'], {columns: 150, rows: 40, env: env()});
	sessions.push(session);
	await session.waitFor('etcd-1', 30_000);
	session.sendKeys('2');
	const [first] = objects('prod/').map(key => key.slice('prod/'.length));
	const listed = await session.waitFor(screen => screen.includes('WHERE') && screen.includes(first!) && screen.includes(localFile), 60_000);
	assert.match(listed, /SNAPSHOTS in s3:\/\/backups\/prod\/ and /);
	assert.match(listed, new RegExp(`s3 +${first!.replaceAll('.', '\\.')} .* sha256 ok`));
	assert.match(listed, new RegExp(`local +${localFile.replaceAll('.', '\\.')} .* sha256 ok`));

	session.sendKeys('s');
	await session.waitFor(/saved [0-9a-f]+\/\d{8}T\d{6}Z-rev\d+\.db/, 120_000);
	await until('the second object', () => (objects('prod/').length === 2 ? true : undefined), 30_000);
	const newest = objects('prod/').map(key => key.slice('prod/'.length)).sort().at(-1)!;
	assert.ok(s3.objectKeys().includes(`prod/${newest}.meta.json`), s3.objectKeys().join(' '));
	// The newest entry is selected: the object just saved.
	await session.waitFor(new RegExp(`> s3 +${newest.replaceAll('.', '\\.')}`), 30_000);

	session.sendKeys('v');
	await session.waitFor(new RegExp(`${newest.replaceAll('.', '\\.')} verified`), 120_000);
	assert.ok(!readdirSync(localDir).some(name => name !== localFile && name !== `${localFile}.meta.json`), 'verifying an object leaves nothing in the local directory');

	session.sendKeys('Enter');
	await session.waitFor(/object +s3:\/\/backups\/prod\//, 30_000);
	const details = await session.scrollUntil(/--initial-cluster-token/);
	assert.match(details, new RegExp(`${testEtcdAtLeast(3, 5) ? 'etcdutl' : 'etcdctl'} snapshot restore \\S+-rev\\d+\\.db --name etcd-1`));
	session.sendKeys('Escape');
	await session.waitFor(/VERIFIED/);
	const screen = session.capture();
	assert.match(screen, new RegExp(`> s3 +${newest.replaceAll('.', '\\.')}`), screen);

	session.sendKeys('d');
	await session.waitFor(`type "${newest}"`);
	session.sendKeys('-l', newest);
	session.sendKeys('Enter');
	await session.waitFor(`deleted ${newest}`, 30_000);
	assert.deepEqual(objects('prod/').map(key => key.slice('prod/'.length)), [first]);
	assert.ok(!s3.objectKeys().includes(`prod/${newest}.meta.json`), 'the manifest goes with its object');
	session.sendKeys('q');
	assert.equal(await session.waitForExit(30_000), 0);
});

test('--snapshot-every with --keep saves into the bucket on schedule and prunes it there', {timeout: 300_000}, async () => {
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoint, '--snapshot-dir', 's3://backups/sched/', '--snapshot-every', '10s', '--keep', '1'], {columns: 150, rows: 40, env: env()});
	sessions.push(session);
	await session.waitFor('etcd-1', 30_000);
	session.sendKeys('2');
	// The second scheduled save removes the first: one object (and its manifest) remains.
	const pruned = await session.waitFor(/--keep removed [0-9a-f]+\/\S+-rev\d+\.db/, 120_000);
	assert.match(pruned, /saved [0-9a-f]+\/\S+-rev\d+\.db/);
	await until('one object left', () => (objects('sched/').length === 1 ? true : undefined), 30_000);
	const [kept] = objects('sched/');
	assert.ok(s3.objectKeys().includes(`${kept}.meta.json`));
	assert.equal(s3.objectKeys().filter(key => key.startsWith('sched/') && key.endsWith('.meta.json')).length, 1);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(30_000), 0);
});
