import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmodSync, mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {after, before, describe, it} from 'node:test';
import {snapshotSaveCommand, type SnapshotSaveOptions} from '../../source/commands/snapshot-save.js';
import {buildConfig} from '../../source/config/config.js';
import type {LocalCluster} from '../../source/demo/local-cluster.js';
import {startScenario, type Scenario} from '../helpers/scenario.js';
import type {SnapshotManifest} from '../../source/snapshot/file/manifest.js';
import {fillCluster, filesIn, hasEtcd, tempDir} from '../helpers/snapshot-fixtures.js';

function capture() {
	const out: string[] = [];
	const err: string[] = [];
	return {io: {out: (text: string) => out.push(text), err: (text: string) => err.push(text)}, out, err};
}

const distRoot = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = process.getuid?.() === 0;

describe('snapshot save failures on a real 3-member cluster', {skip: !hasEtcd && 'etcd/etcdctl not installed', timeout: 900_000}, () => {
	let cluster: LocalCluster;
	let scenario: Scenario | undefined;
	const dir = tempDir();
	const config = () => buildConfig({endpoints: cluster.endpoints.join(','), commandTimeout: '3s', dialTimeout: '2s'}, {});
	const megabyte = 1_000_000;

	before(async () => {
		scenario = await startScenario({cluster: {members: 3}});
		cluster = scenario.cluster;
		// ~50 MB: far more than the 8 MiB HTTP/2 window plus socket buffers, so a stopped member really
		// stops the stream instead of having already sent everything.
		await fillCluster(cluster.endpoints[0]!, {keys: 500, largeValues: 50, largeValueBytes: megabyte});
		await cluster.waitReady();
	});

	after(async () => {
		await scenario?.end();
		dir.remove();
	});

	/** Runs a save from `from`, calling `midway` once when more than 2 MB have arrived. */
	async function saveWith(name: string, from: string, midway: () => void, extra: Partial<SnapshotSaveOptions> = {}) {
		const target = join(dir.path, name);
		mkdirSync(target);
		let hasFired = false;
		let received = 0;
		const run = capture();
		const started = Date.now();
		const code = await snapshotSaveCommand(
			config(),
			join(target, 'backup.db'),
			{
				isOverwriting: false,
				from,
				idleTimeoutMs: 3000,
				onProgress(progress) {
					received = progress.received;
					if (!hasFired && progress.received > 2 * megabyte) {
						hasFired = true;
						midway();
					}
				},
				...extra,
			},
			run.io,
		);
		return {code, hasFired, received, elapsedMs: Date.now() - started, err: run.err.join('\n'), files: filesIn(target)};
	}

	it('abandons the save when the member hangs mid-stream (SIGSTOP), leaving no file', async () => {
		try {
			const result = await saveWith('hung', 'etcd-2', () => cluster.signal('etcd-2', 'SIGSTOP'));
			assert.equal(result.hasFired, true, 'the member was never stopped: the stream was too short');
			assert.equal(result.code, 1);
			assert.match(result.err, /etcd-2 .*\n.*snapshot save failed: the member sent no data for 3s/);
			assert.ok(result.received < 45 * megabyte, `received ${result.received} bytes after the stop`);
			assert.ok(result.elapsedMs < 90_000);
			assert.deepEqual(result.files, []);
		} finally {
			cluster.signal('etcd-2', 'SIGCONT');
		}
		await cluster.waitReady();
	});

	it('passes over a hung member when choosing the source', async () => {
		cluster.signal('etcd-1', 'SIGSTOP');
		try {
			const file = join(dir.path, 'skip-hung.db');
			const run = capture();
			assert.equal(await snapshotSaveCommand(config(), file, {isOverwriting: false}, run.io), 0, run.err.join('\n'));
			const manifest = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as SnapshotManifest;
			assert.notEqual(manifest.member.name, 'etcd-1');
			assert.ok(manifest.size > 50 * megabyte);
		} finally {
			cluster.signal('etcd-1', 'SIGCONT');
		}
		await cluster.waitReady();
	});

	it('reports a member killed mid-stream, leaving no file', async () => {
		let killed: Promise<void> | undefined;
		const result = await saveWith('killed', 'etcd-3', () => {
			killed = cluster.kill('etcd-3');
		});
		assert.equal(result.hasFired, true);
		assert.equal(result.code, 1);
		assert.match(result.err, /snapshot save failed: (the snapshot stream failed|the stream ended|the member closed|the member sent no data)/);
		assert.deepEqual(result.files, []);
		// The save can fail before the kernel has reaped etcd: restart only once it has exited.
		await killed;
		cluster.restart('etcd-3');
		await cluster.waitReady(60_000);
	});

	it('stops at once on abort (ctrl-c), leaving no file', async () => {
		const controller = new AbortController();
		const result = await saveWith('aborted', 'etcd-1', () => controller.abort(), {signal: controller.signal, idleTimeoutMs: 60_000});
		assert.equal(result.hasFired, true);
		assert.equal(result.code, 1);
		assert.match(result.err, /interrupted/);
		assert.ok(result.elapsedMs < 30_000);
		assert.deepEqual(result.files, []);
	});

	it('reports a directory it may not write to, leaving no file', {skip: !isRoot && 'needs root to run the save as another user'}, () => {
		// Root ignores file modes, so the save runs in a child process as nobody, in a directory owned by root.
		// The child loads etcdtop's modules as root and only then becomes nobody: nobody may not be able to
		// read the checkout (a parent directory of mode 0700, as mktemp -d makes), and no test may depend
		// on where the checkout lives.
		const target = join(dir.path, 'not-yours');
		mkdirSync(target);
		chmodSync(dir.path, 0o755);
		chmodSync(target, 0o755);
		const script = `
			const {buildConfig} = await import(${JSON.stringify(join(distRoot, 'source/config/config.js'))});
			const {snapshotSaveCommand} = await import(${JSON.stringify(join(distRoot, 'source/commands/snapshot-save.js'))});
			const config = buildConfig({endpoints: ${JSON.stringify(cluster.endpoints.join(','))}}, {});
			process.setgroups([]);
			process.setgid(65534);
			process.setuid(65534);
			const code = await snapshotSaveCommand(config, ${JSON.stringify(join(target, 'backup.db'))}, {isOverwriting: false}, {out: t => console.log(t), err: t => console.error(t)});
			process.exit(code);
		`;
		const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 120_000, cwd: '/'});
		assert.equal(child.status, 1, `${child.stdout}\n${child.stderr}`);
		assert.match(child.stderr, /snapshot save failed: permission denied writing .*backup\.db\.part/);
		assert.deepEqual(filesIn(target), []);
	});

	it('reports a full disk, leaving no file', async t => {
		const mount = join(dir.path, 'tiny');
		mkdirSync(mount);
		const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], {encoding: 'utf8'});
		if (mounted.status !== 0) {
			t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
			return;
		}
		try {
			const run = capture();
			const code = await snapshotSaveCommand(config(), join(mount, 'backup.db'), {isOverwriting: false}, run.io);
			assert.equal(code, 1);
			assert.match(run.err.join('\n'), /snapshot save failed: no space left on the device writing .*backup\.db\.part/);
			assert.deepEqual(filesIn(mount), []);
		} finally {
			spawnSync('umount', [mount]);
		}
	});
});
