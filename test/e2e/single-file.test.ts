// The single-file build (npm run package) on a machine without etcdtop's node_modules: it is built, copied
// out of the checkout, and every run happens in a mount namespace where a tmpfs hides the checkout (so
// no node_modules, no dist/bundle, no package.json), from an empty working directory.
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {Etcd3} from 'etcd3';
import {hasEtcdBinary, LocalCluster} from '../../source/demo/local-cluster.js';
import {tempDir} from '../helpers/snapshot-fixtures.js';
import {hasSshd, TestSshd} from '../helpers/sshd.js';
import {TmuxSession} from '../helpers/tmux.js';

const checkout = fileURLToPath(new URL('../../../', import.meta.url));

function canHideCheckout(): boolean {
	if (process.getuid?.() !== 0) return false;
	return spawnSync('unshare', ['-m', 'true'], {stdio: 'ignore'}).status === 0;
}

const skip = !hasEtcdBinary() ? 'etcd is not installed' : !hasSshd() ? 'OpenSSH sshd is not installed' : !canHideCheckout() ? 'needs root and unshare(1) to hide the checkout in a mount namespace' : false;

// Inside: a tmpfs over the checkout, then the program from the empty directory.
const hideCheckout = 'mount -t tmpfs -o size=1m etcdtop-hidden "$1" && cd "$2" && shift 2 && exec "$@"';

interface Run {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
}

describe('the single-file build, with the checkout hidden', {skip, timeout: 600_000}, () => {
	const dir = tempDir('etcdtop-single-file-');
	const binary = join(dir.path, 'bin', 'etcdtop-linux-x64');
	const work = join(dir.path, 'work');
	let cluster: LocalCluster | undefined;
	let endpoints: string;

	/** argv that runs the binary with `args` in the namespace; env is clean of ETCDCTL_*, ETCDTOP_* and NODE_*. */
	const hidden = (args: readonly string[]) => ['unshare', '-m', 'sh', '-c', hideCheckout, 'hidden', checkout, work, binary, ...args];
	const env = (extra: Record<string, string> = {}) => ({...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(ETCDCTL|ETCDTOP|NODE)_/.test(key))), ...extra});

	async function run(args: readonly string[], extra: Record<string, string> = {}): Promise<Run> {
		const [command, ...rest] = hidden(args);
		const child = spawn(command!, rest, {env: env(extra), stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk));
		child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
		const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 120_000);
		const code = await new Promise<number | null>(resolve => child.on('close', resolve));
		clearTimeout(timer);
		return {code, stdout, stderr};
	}

	before(async () => {
		// Built by this test, with the Node that runs it (package.js brings the embedded Node 24 itself).
		execFileSync(process.execPath, ['scripts/package.js'], {cwd: checkout, stdio: ['ignore', 'ignore', 'inherit']});
		mkdirSync(join(dir.path, 'bin'));
		mkdirSync(work);
		copyFileSync(join(checkout, 'dist', 'etcdtop-linux-x64'), binary);
		execFileSync('chmod', ['755', binary]);
		const [digest, name] = readFileSync(join(checkout, 'dist', 'etcdtop-linux-x64.sha256'), 'utf8').trim().split(/\s+/);
		assert.equal(name, 'etcdtop-linux-x64');
		assert.equal(execFileSync('sha256sum', [binary], {encoding: 'utf8'}).split(' ')[0], digest);
		cluster = await LocalCluster.start({members: 3, namePrefix: 'sea'});
		endpoints = cluster.endpoints.join(',');
	});

	after(async () => {
		const isFailed = process.exitCode !== undefined && process.exitCode !== 0;
		await cluster?.stop({isKeepingFiles: isFailed});
		if (isFailed) console.error(`etcd logs in ${cluster?.baseDir}, files in ${dir.path}`);
		else dir.remove();
	});

	it('cannot see the checkout, and prints its version and the embedded Node 24', async () => {
		const [command, ...rest] = ['unshare', '-m', 'sh', '-c', hideCheckout, 'hidden', checkout, work, 'sh', '-c', 'ls -A "$0"; pwd; ls -A', checkout];
		const listing = execFileSync(command!, rest, {encoding: 'utf8'}).trim().split('\n');
		assert.deepEqual(listing, [work]);
		const version = await run(['--version']);
		assert.equal(version.code, 0, version.stderr);
		const {version: ours} = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as {version: string};
		assert.equal(version.stdout, `etcdtop ${ours} (Node.js v24.${/v24\.(\d+\.\d+)/.exec(version.stdout)?.[1] ?? 'x'})\n`);
		assert.equal(version.stderr, '');
	});

	it('status -w json reads every member of a real cluster', async () => {
		const result = await run(['status', '-w', 'json', '--endpoints', endpoints]);
		assert.equal(result.code, 0, result.stderr + result.stdout);
		const status = JSON.parse(result.stdout) as {cluster: {state: string}; members: Array<{name: string; state: string}>};
		assert.equal(status.cluster.state, 'healthy');
		assert.deepEqual(status.members.map(member => member.state), ['ok', 'ok', 'ok']);
		assert.equal(result.stderr, '');
	});

	it('snapshot save, then snapshot status with its sha256 check in a worker thread, and a damaged copy fails it', async () => {
		// Over 16 MB, so that snapshot status checks the trailer in its worker.
		const client = new Etcd3({hosts: endpoints.split(',')[0]!});
		try {
			const value = Buffer.alloc(256 << 10, 'etcdtop single file ');
			for (let index = 0; index < 80; index++) await client.put(`sea-${index}`).value(value);
		} finally {
			client.close();
		}
		const save = await run(['snapshot', 'save', 'sea.db', '--endpoints', endpoints]);
		assert.equal(save.code, 0, save.stderr + save.stdout);
		assert.match(save.stdout, /Snapshot saved at .*sea\.db/);
		assert.ok(readdirSync(work).includes('sea.db.meta.json'));
		const status = await run(['snapshot', 'status', 'sea.db', '-w', 'json']);
		assert.equal(status.code, 0, status.stderr + status.stdout);
		const parsed = JSON.parse(status.stdout) as {sha256: string; totalKey: number};
		assert.equal(parsed.sha256, 'ok');
		assert.ok(parsed.totalKey >= 80, status.stdout);
		const damaged = readFileSync(join(work, 'sea.db'));
		damaged[8 << 20] = damaged[8 << 20]! ^ 0xff;
		writeFileSync(join(work, 'damaged.db'), damaged);
		const bad = await run(['snapshot', 'status', 'damaged.db', '-w', 'json']);
		assert.equal(bad.code, 1, bad.stderr + bad.stdout);
		assert.equal((JSON.parse(bad.stdout) as {sha256: string}).sha256, 'mismatch');
	});

	it('the console under tmux shows every member, saves and verifies a snapshot in its worker', async () => {
		const session = TmuxSession.start(hidden(['--endpoints', endpoints, '--snapshot-dir', 'snaps']), {columns: 140, rows: 40, env: {HOME: work}});
		try {
			await session.waitFor(screen => ['sea-1', 'sea-2', 'sea-3'].every(name => new RegExp(`^[> ] ${name} .* ok `, 'm').test(screen)), 60_000);
			session.sendKeys('2');
			await session.waitFor(/no snapshots yet/, 30_000);
			session.sendKeys('s');
			await session.waitFor(/etcd-snapshot-\S+\.db .* sha256 ok/, 120_000);
			session.sendKeys('v');
			await session.waitFor(/etcd-snapshot-\S+\.db verified/, 120_000);
			session.sendKeys('q');
			assert.equal(await session.waitForExit(30_000), 0);
		} finally {
			session.close();
		}
	});

	it('--via: status through a real sshd, with ssh2 on its JavaScript crypto', async () => {
		const sshd = await TestSshd.start({logLevel: 'DEBUG1'});
		try {
			const result = await run(['status', '-w', 'json', '--endpoints', endpoints, '--via', `${sshd.user}@127.0.0.1:${sshd.port}`, '--ssh-identity', sshd.keys.plain, '--ssh-known-hosts', sshd.knownHostsFile], {SSH_AUTH_SOCK: ''});
			assert.equal(result.code, 0, result.stderr + result.stdout);
			const status = JSON.parse(result.stdout) as {members: Array<{state: string}>};
			assert.deepEqual(status.members.map(member => member.state), ['ok', 'ok', 'ok']);
			assert.ok(sshd.forwardedTargets().length >= 3, sshd.forwardedTargets().join(', '));
		} finally {
			await sshd.dispose({isKeepingFiles: false});
		}
	});
});
