import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {constants} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath} from '../helpers/cli.js';
import {startCluster, until} from '../helpers/cluster.js';
import {fillCluster, filesIn, tempDir} from '../helpers/snapshot-fixtures.js';

const cluster = await startCluster({members: 1});
// ~20 MB: the stream outlasts the moment the test stops the member.
await fillCluster(cluster.endpoints[0]!, {keys: 100, largeValues: 20, largeValueBytes: 1_000_000});
const dir = tempDir();

after(() => dir.remove());

for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGQUIT'] as const) {
	test(`${signal} during snapshot save removes the part files, says so, and exits ${128 + constants.signals[signal]}`, async () => {
		const target = join(dir.path, signal);
		mkdirSync(target);
		const child = spawn(process.execPath, [cliPath, 'snapshot', 'save', join(target, 'backup.db'), '--endpoints', cluster.endpoints[0]!], {stdio: ['ignore', 'pipe', 'pipe']});
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.stdout.resume();
		const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
		const member = cluster.members[0]!.name;
		try {
			await until('the save to start', () => stderr.includes('fetching snapshot') || undefined, 30_000, 20);
			// The member hangs mid-stream, as a save would sit waiting on a slow one when the SSH session drops.
			cluster.signal(member, 'SIGSTOP');
			await until('the part file', () => filesIn(target).some(file => file.endsWith('.part')) || undefined, 10_000, 20);
			child.kill(signal);
			const code = await exited;
			assert.equal(code, 128 + constants.signals[signal], stderr);
			assert.match(stderr, new RegExp(`interrupted by ${signal}: the partial snapshot was removed`));
			assert.deepEqual(filesIn(target), []);
		} finally {
			cluster.signal(member, 'SIGCONT');
			if (child.exitCode === null) child.kill('SIGKILL');
		}
	});
}
