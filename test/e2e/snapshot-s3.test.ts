import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, readdirSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {PutObjectCommand, S3Client} from '@aws-sdk/client-s3';
import {Etcd3} from 'etcd3';
import {LocalCluster} from '../../source/demo/local-cluster.js';
import {freePort} from '../../source/demo/free-port.js';
import {runCli, cliPath} from '../helpers/cli.js';
import {until} from '../helpers/cluster.js';
import {FaultProxy, S3Server, s3Credentials} from '../helpers/s3.js';
import {newUrls} from '../helpers/remote-members.js';
import {etcdctlStatus, fillCluster, hasEtcd, mustEtcdctl, tempDir} from '../helpers/snapshot-fixtures.js';

const hasAge = spawnSync('age', ['--version'], {stdio: 'ignore'}).status === 0;

describe('snapshots in S3 (s3rver on loopback, a fault-injecting proxy) from a real cluster', {skip: !hasEtcd && 'etcd/etcdctl not installed', timeout: 900_000}, () => {
	let cluster: LocalCluster;
	let s3: S3Server;
	const dir = tempDir('etcdtop-s3-test-');
	const env = () => ({...s3Credentials, AWS_ENDPOINT_URL_S3: s3.endpoint});
	let expectedKeys = 0;

	before(async () => {
		s3 = await S3Server.start(['backups']);
		cluster = await LocalCluster.start({members: 1});
		// ~30 MB: several 8 MiB parts, so the upload is multipart and takes long enough to be cut.
		await fillCluster(cluster.endpoints[0]!, {keys: 600, largeValues: 50, largeValueBytes: 600_000});
		const client = new Etcd3({hosts: cluster.endpoints[0]!});
		try {
			expectedKeys = Number(await client.getAll().count());
		} finally {
			client.close();
		}
		assert.ok(expectedKeys > 500);
	});

	after(async () => {
		await cluster?.stop();
		await s3?.stop();
		dir.remove();
	});

	const save = (target: string, ...extra: string[]) => runCli(['snapshot', 'save', target, '--endpoints', cluster.endpoints[0]!, ...extra], {env: env(), timeoutMs: 180_000});

	it('save to a prefix, list, status (sha256 ok), fetch; etcdctl reads it and a restore finds every key', async () => {
		const saved = await save('s3://backups/etcd/');
		assert.equal(saved.code, 0, saved.stderr);
		const key = s3.objectKeys().find(name => name.endsWith('.db'))!;
		assert.match(key, /^etcd\/[0-9a-f]+\/\d{8}T\d{6}Z-rev\d+\.db$/);
		assert.ok(s3.objectKeys().includes(`${key}.meta.json`));
		assert.deepEqual(s3.pendingUploads(), []);
		const manifest = JSON.parse(readFileSync(join(s3.directory, 'backups', `${key}.meta.json._S3rver_object`), 'utf8')) as {revision: number; totalKey: number; sha256: string; etcdSha256: string};
		// Each hash for what it is: the object's own (sha256sum of a download), and etcd's, its last 32 bytes.
		const object = readFileSync(join(s3.directory, 'backups', `${key}._S3rver_object`));
		assert.equal(manifest.sha256, createHash('sha256').update(object).digest('hex'));
		assert.equal(manifest.etcdSha256, object.subarray(-32).toString('hex'));
		assert.match(saved.stdout, new RegExp(`sha256 of the file \\(sha256sum\\): ${manifest.sha256}\n.*etcd's sha256 of the database: +${manifest.etcdSha256}`));

		const list = await runCli(['snapshot', 'list', 's3://backups/etcd/', '-w', 'json'], {env: env()});
		assert.equal(list.code, 0, list.stderr);
		const rows = JSON.parse(list.stdout) as Array<{location: string; revision: number; isManaged: boolean}>;
		assert.deepEqual(rows.map(row => [row.location, row.revision, row.isManaged]), [[`s3://backups/${key}`, manifest.revision, true]]);

		const status = await runCli(['snapshot', 'status', `s3://backups/${key}`, '-w', 'json'], {env: env(), timeoutMs: 120_000});
		assert.equal(status.code, 0, status.stderr);
		const ours = JSON.parse(status.stdout) as {revision: number; totalKey: number; sha256: string};
		assert.equal(ours.sha256, 'ok');
		assert.equal(ours.revision, manifest.revision);
		assert.equal(ours.totalKey, manifest.totalKey, 'the streamed summary counts keys as the file reader does');

		const file = join(dir.path, 'fetched.db');
		const fetched = await runCli(['snapshot', 'fetch', `s3://backups/${key}`, file], {env: env(), timeoutMs: 120_000});
		assert.equal(fetched.code, 0, fetched.stderr);
		assert.ok(existsSync(`${file}.meta.json`));
		assert.match(fetched.stdout, /the file's sha256 matches its manifest/);
		assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), manifest.sha256);
		assert.deepEqual(readdirSync(dir.path).filter(name => name.endsWith('.part')), []);
		const theirs = etcdctlStatus(file);
		assert.equal(theirs.revision, manifest.revision);

		const dataDir = join(dir.path, 'restored');
		mustEtcdctl(['snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'r1', '--initial-cluster', 'r1=http://127.0.0.1:1', '--initial-advertise-peer-urls', 'http://127.0.0.1:1']);
		const urls = await newUrls();
		const etcd = spawn('etcd', ['--name', 'r1', '--data-dir', dataDir, '--listen-client-urls', urls.client, '--advertise-client-urls', urls.client, '--listen-peer-urls', urls.peer, '--initial-advertise-peer-urls', 'http://127.0.0.1:1', '--initial-cluster', 'r1=http://127.0.0.1:1'], {stdio: 'ignore'});
		try {
			const client = new Etcd3({hosts: urls.client});
			try {
				const count = await until('the restored member', async () => Number(await client.getAll().count()), 30_000, 300);
				assert.equal(count, expectedKeys);
			} finally {
				client.close();
			}
		} finally {
			if (etcd.pid) process.kill(etcd.pid, 'SIGKILL');
		}
	});

	it('encrypted upload: no plaintext leaves the process, and stock age -d opens the downloaded object', {skip: !hasAge && 'age not installed'}, async () => {
		const keyFile = join(dir.path, 'age-key.txt');
		assert.equal(spawnSync('age-keygen', ['-o', keyFile]).status, 0);
		const recipient = /age1[0-9a-z]+/.exec(readFileSync(keyFile, 'utf8'))![0];
		const saved = await save('s3://backups/enc/one.db', '--encrypt-to', recipient);
		assert.equal(saved.code, 0, saved.stderr);
		assert.ok(s3.objectKeys().includes('enc/one.db.age'));
		const stored = readFileSync(join(s3.directory, 'backups', 'enc', 'one.db.age._S3rver_object'));
		assert.ok(!stored.includes(Buffer.from('/registry/pods/')), 'keys are not in the clear');
		const noKey = await runCli(['snapshot', 'fetch', 's3://backups/enc/one.db.age', join(dir.path, 'nokey.db')], {env: env()});
		assert.equal(noKey.code, 3, noKey.stderr);
		assert.match(noKey.stderr, /--identity/);
		const file = join(dir.path, 'enc.db.age');
		const fetched = await runCli(['snapshot', 'fetch', 's3://backups/enc/one.db.age', file, '--identity', keyFile], {env: env(), timeoutMs: 120_000});
		assert.equal(fetched.code, 0, fetched.stderr);
		const plain = join(dir.path, 'enc-plain.db');
		const age = spawnSync('age', ['-d', '-i', keyFile, '-o', plain, file], {encoding: 'utf8'});
		assert.equal(age.status, 0, age.stderr);
		const manifest = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as {revision: number};
		assert.equal(etcdctlStatus(plain).revision, manifest.revision);
	});

	it('retention over a revision digit boundary (99 -> 100) keeps the newest; --dry-run only lists', async () => {
		const small = await LocalCluster.start({members: 1});
		try {
			const client = new Etcd3({hosts: small.endpoints[0]!});
			try {
				let revision = Number((await client.put('/r/0').value('x')).header.revision);
				while (revision < 99) revision = Number((await client.put(`/r/${revision}`).value('x')).header.revision);
				assert.equal(revision, 99);
				const first = await runCli(['snapshot', 'save', 's3://backups/ret/', '--endpoints', small.endpoints[0]!], {env: env(), timeoutMs: 120_000});
				assert.equal(first.code, 0, first.stderr);
				await new Promise(resolve => setTimeout(resolve, 1100));
				await client.put('/r/last').value('x');
				const second = await runCli(['snapshot', 'save', 's3://backups/ret/', '--endpoints', small.endpoints[0]!], {env: env(), timeoutMs: 120_000});
				assert.equal(second.code, 0, second.stderr);
			} finally {
				client.close();
			}
		} finally {
			await small.stop();
		}
		const names = () => s3.objectKeys().filter(key => key.startsWith('ret/') && key.endsWith('.db'));
		const [rev99] = names();
		// Planted beside them: someone else's object carrying a copy of rev99's manifest (it names rev99), and
		// an object whose manifest names it but whose bytes are not what etcdtop recorded. Neither may go.
		const sdk = new S3Client({endpoint: s3.endpoint, forcePathStyle: true, region: s3Credentials.AWS_REGION, credentials: {accessKeyId: s3Credentials.AWS_ACCESS_KEY_ID, secretAccessKey: s3Credentials.AWS_SECRET_ACCESS_KEY}});
		try {
			const prefix = rev99!.slice(0, rev99!.lastIndexOf('/') + 1);
			const copied = readFileSync(join(s3.directory, 'backups', `${rev99}.meta.json._S3rver_object`), 'utf8');
			const recorded = JSON.parse(copied) as {fileSize: number; createdAt: string};
			const put = async (key: string, body: string | Buffer) => sdk.send(new PutObjectCommand({Bucket: 'backups', Key: key, Body: body}));
			await put(`${prefix}19990101T000000Z-rev1.db`, 'the only copy of something else');
			await put(`${prefix}19990101T000000Z-rev1.db.meta.json`, copied);
			await put(`${prefix}19990102T000000Z-rev2.db`, Buffer.alloc(recorded.fileSize));
			await put(`${prefix}19990102T000000Z-rev2.db.meta.json`, JSON.stringify({...JSON.parse(copied), file: '19990102T000000Z-rev2.db', createdAt: '1999-01-02T00:00:00.000Z'}));
		} finally {
			sdk.destroy();
		}
		assert.deepEqual(names().map(key => /rev(\d+)/.exec(key)![1]), ['1', '2', '99', '100']);
		const dry = await runCli(['snapshot', 'prune', 's3://backups/ret/', '--keep', '1', '--dry-run'], {env: env()});
		assert.equal(dry.code, 0, dry.stderr);
		assert.match(dry.stdout, /would remove s3:\/\/backups\/ret\/.*-rev99\.db/);
		assert.equal(names().length, 4);
		const pruned = await runCli(['snapshot', 'prune', 's3://backups/ret/', '--keep', '1'], {env: env()});
		assert.equal(pruned.code, 0, pruned.stderr);
		assert.deepEqual(names().map(key => /rev(\d+)/.exec(key)![1]), ['1', '2', '100']);
		assert.match(pruned.stderr, /left s3:\/\/backups\/ret\/\S+-rev1\.db alone: its manifest names another file/);
		assert.match(pruned.stderr, /left s3:\/\/backups\/ret\/\S+-rev2\.db alone: its sha256 is not its manifest's/);
		assert.ok(!s3.objectKeys().some(key => key.startsWith('ret/') && key.includes('rev99')), 'its manifest went too');
	});

	it('a manifest larger than 4 MiB is never read whole: the listing lists its object without it, restore-plan refuses it in words', async () => {
		const sdk = new S3Client({endpoint: s3.endpoint, forcePathStyle: true, region: s3Credentials.AWS_REGION, credentials: {accessKeyId: s3Credentials.AWS_ACCESS_KEY_ID, secretAccessKey: s3Credentials.AWS_SECRET_ACCESS_KEY}});
		try {
			await sdk.send(new PutObjectCommand({Bucket: 'backups', Key: 'huge/19990101T000000Z-rev1.db', Body: 'not a snapshot'}));
			await sdk.send(new PutObjectCommand({Bucket: 'backups', Key: 'huge/19990101T000000Z-rev1.db.meta.json', Body: Buffer.alloc(5 << 20, 0x20)}));
		} finally {
			sdk.destroy();
		}
		const list = await runCli(['snapshot', 'list', 's3://backups/huge/'], {env: env()});
		assert.equal(list.code, 0, list.stderr);
		assert.match(list.stdout, /19990101T000000Z-rev1\.db .* no manifest/);
		const plan = await runCli(['snapshot', 'restore-plan', 's3://backups/huge/19990101T000000Z-rev1.db', '--data-dir', join(dir.path, 'restored'), '--endpoints', 'http://127.0.0.1:1'], {env: env()});
		assert.equal(plan.code, 1, plan.stdout + plan.stderr);
		assert.match(plan.stderr, /s3:\/\/backups\/huge\/19990101T000000Z-rev1\.db\.meta\.json: the object is 5242880 bytes, more than the 4194304 bytes a manifest may be, and was not read/);
	});

	it('a part answered 503 once is retried; a part that keeps failing ends the save with exit 1, no object and no parts', async () => {
		const proxy = await FaultProxy.start(() => s3.port, {failPart: 2, failTimes: 1});
		try {
			const proxied = {...s3Credentials, AWS_ENDPOINT_URL_S3: proxy.endpoint};
			const once = await runCli(['snapshot', 'save', 's3://backups/flaky/once.db', '--endpoints', cluster.endpoints[0]!], {env: proxied, timeoutMs: 180_000});
			assert.equal(once.code, 0, once.stderr);
			assert.ok(s3.objectKeys().includes('flaky/once.db'));
			proxy.plan = {failPart: 2, failTimes: Infinity};
			const always = await runCli(['snapshot', 'save', 's3://backups/flaky/always.db', '--endpoints', cluster.endpoints[0]!], {env: proxied, timeoutMs: 180_000});
			assert.equal(always.code, 1, always.stderr);
			assert.match(always.stderr, /HTTP 503|ServiceUnavailable/);
			assert.ok(!s3.objectKeys().some(key => key.startsWith('flaky/always')));
			assert.deepEqual(s3.pendingUploads(), []);
		} finally {
			await proxy.stop();
		}
	});

	it('a network cut mid-upload: exit 1 in words, no object, the multipart upload aborted once the network is back', async () => {
		const proxy = await FaultProxy.start(() => s3.port, {cutAfterBytes: 12 << 20, downForMs: 3000});
		try {
			const cut = await runCli(['snapshot', 'save', 's3://backups/cut/x.db', '--endpoints', cluster.endpoints[0]!], {env: {...s3Credentials, AWS_ENDPOINT_URL_S3: proxy.endpoint}, timeoutMs: 180_000});
			assert.equal(cut.code, 1, cut.stderr);
			assert.match(cut.stderr, /snapshot save failed: .*(cut|refused|reset)/);
			assert.ok(!s3.objectKeys().some(key => key.startsWith('cut/')));
			assert.deepEqual(s3.pendingUploads(), []);
		} finally {
			await proxy.stop();
		}
	});

	// Not yet passing: the save exits 1 and leaves no object, but one upload's parts stay on the restarted s3rver.
	it('a server killed mid-upload (and back a moment later) leaves nothing', async () => {
		const child = spawn(process.execPath, [cliPath, 'snapshot', 'save', 's3://backups/killed/x.db', '--endpoints', cluster.endpoints[0]!], {env: {...process.env, ...env()}, stdio: ['ignore', 'pipe', 'pipe']});
		let stderr = '';
		child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
		const exited = new Promise<number | null>(resolve => child.on('close', resolve));
		// Mid-upload: a part has landed. (Killed right after CreateMultipartUpload, the answer can be lost and the
		// SDK's retry opens a second upload: the first is one no client ever learns of, for a lifecycle rule.)
		await until('a part on the server', () => s3.pendingUploads().some(id => readdirSync(join(s3.directory, 'backups', '._S3rver_uploads', id)).some(name => /^\d+$/.test(name))) || undefined, 60_000, 10);
		s3.kill();
		await new Promise(resolve => setTimeout(resolve, 1000));
		await s3.launch();
		const code = await exited;
		assert.equal(code, 1, stderr);
		assert.ok(!s3.objectKeys().some(key => key.startsWith('killed/')), 'no object');
		assert.deepEqual(s3.pendingUploads(), [], 'no parts');
	});

	// Not yet passing in this form: one of the four cases exits 0 (under investigation; the unit test covers the words).
	it('says what is wrong: a missing bucket, refused credentials, a wrong endpoint (exit 1), a bad URL (exit 3)', async () => {
		const missing = await save('s3://nosuchbucket/x.db');
		assert.equal(missing.code, 1, `${missing.stdout}${missing.stderr}`);
		assert.match(missing.stderr, /bucket "nosuchbucket" does not exist/);
		const denied = await runCli(['snapshot', 'list', 's3://backups/'], {env: {...env(), AWS_ACCESS_KEY_ID: 'NOT-A-KEY', AWS_SECRET_ACCESS_KEY: 'wrong-secret'}});
		assert.equal(denied.code, 1, denied.stdout + denied.stderr);
		assert.match(denied.stderr, /access denied/);
		assert.doesNotMatch(denied.stderr, /wrong-secret/);
		const closed = await freePort();
		const nowhere = await runCli(['snapshot', 'list', 's3://backups/', '--s3-endpoint', `http://127.0.0.1:${closed}`], {env: env()});
		assert.equal(nowhere.code, 1, nowhere.stdout + nowhere.stderr);
		assert.match(nowhere.stderr, /connection refused/);
		const bad = await runCli(['snapshot', 'status', 's3://Bad_Bucket/x'], {env: env()});
		assert.equal(bad.code, 3, bad.stdout + bad.stderr);
	});
});
