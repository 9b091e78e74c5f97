import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {parseFilesAnswer, readFilesArgv, RemoteFileError} from '../../source/ssh/remote-file.js';

test('the one-round-trip file reader: the script run by sh, its answer parsed per path (bytes exact, errors as fs codes)', () => {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-remote-file-'));
	try {
		const pem = '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n';
		writeFileSync(join(dir, 'ca.crt'), pem);
		writeFileSync(join(dir, 'no newline; $(touch pwned) "q"'), 'x\n\ny');
		writeFileSync(join(dir, 'empty'), '');
		writeFileSync(join(dir, 'locked.key'), 'secret');
		chmodSync(join(dir, 'locked.key'), 0o000);
		const paths = [join(dir, 'ca.crt'), join(dir, 'missing'), join(dir, 'no newline; $(touch pwned) "q"'), dir, join(dir, 'empty'), join(dir, 'locked.key')];
		const [program, ...args] = readFilesArgv(paths);
		const isRoot = process.getuid?.() === 0;
		// As root the locked file reads; as another user it is EACCES. Either way the answer parses.
		const run = spawnSync(program!, args, {cwd: dir});
		assert.equal(run.status, 0, run.stderr.toString());
		const answer = parseFilesAnswer(paths, run.stdout);
		assert.equal((answer.get(paths[0]!) as Buffer).toString(), pem);
		assert.equal((answer.get(paths[1]!) as RemoteFileError).code, 'ENOENT');
		assert.equal((answer.get(paths[2]!) as Buffer).toString(), 'x\n\ny');
		assert.equal((answer.get(paths[3]!) as RemoteFileError).code, 'EISDIR');
		assert.equal((answer.get(paths[4]!) as Buffer).length, 0);
		const locked = answer.get(paths[5]!);
		if (isRoot) assert.equal((locked as Buffer).toString(), 'secret');
		else assert.equal((locked as RemoteFileError).code, 'EACCES');
		assert.notEqual(spawnSync('test', ['-e', join(dir, 'pwned')]).status, 0, 'a path was run as shell text');
		// A cut answer is an error, not a short file.
		assert.throws(() => parseFilesAnswer(paths, run.stdout.subarray(0, 20)), /cut short/);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});
