import {execFileSync} from 'node:child_process';
import assert from 'node:assert/strict';
import {chmodSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, beforeEach, describe, it, test} from 'node:test';
import {CommandLogFileError, openCommandLogFile} from '../../source/output/command-log-file.js';
import {tempDir} from '../helpers/temp-files.js';

describe('--command-log FILE', () => {
	let dir: ReturnType<typeof tempDir>;
	beforeEach(() => {
		dir = tempDir('etcdtop-command-log-');
	});
	afterEach(() => dir.remove());

	it('is created 0600 and records each change on one line, control bytes as escapes', () => {
		const path = join(dir.path, 'changes.log');
		const log = openCommandLogFile(path, () => assert.fail('no warning expected'));
		log.change({at: Date.parse('2026-12-06T08:00:00Z'), step: 'remove', command: 'etcdctl member remove 8e9e05c52164694d', result: 'ok'});
		log.remote('h1: started \u001b]0;pwned\u0007\nfake line');
		log.close();
		assert.equal(statSync(path).mode & 0o777, 0o600);
		const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
		assert.equal(lines.length, 2);
		assert.equal(lines[0], '2026-12-06T08:00:00.000Z [remove] etcdctl member remove 8e9e05c52164694d -> ok');
		assert.match(lines[1]!, /\[remote\] h1: started \\x1b\]0;pwned\\x07\\nfake line$/);
	});

	it('refuses a link planted at FILE and leaves its target alone', () => {
		const victim = join(dir.path, 'victim');
		writeFileSync(victim, 'precious', {mode: 0o644});
		const path = join(dir.path, 'changes.log');
		symlinkSync(victim, path);
		assert.throws(() => openCommandLogFile(path, () => undefined), (error: unknown) => error instanceof CommandLogFileError && /symbolic link/.test(error.message));
		assert.equal(readFileSync(victim, 'utf8'), 'precious');
		assert.equal(statSync(victim).mode & 0o777, 0o644);
	});

	it('refuses a FIFO at once, with or without a reader, instead of waiting on it', () => {
		const path = join(dir.path, 'fifo.log');
		execFileSync('mkfifo', [path]);
		assert.throws(() => openCommandLogFile(path, () => undefined), (error: unknown) => error instanceof CommandLogFileError && /not a regular file/.test(error.message));
	});

	it('an existing file others can read becomes 0600, and says so', () => {
		const path = join(dir.path, 'changes.log');
		writeFileSync(path, 'earlier\n');
		chmodSync(path, 0o644);
		const warnings: string[] = [];
		openCommandLogFile(path, text => warnings.push(text)).close();
		assert.equal(statSync(path).mode & 0o777, 0o600);
		assert.match(warnings.join('\n'), /was mode 644, readable by others; it is now 0600/);
		assert.equal(readFileSync(path, 'utf8'), 'earlier\n');
	});
});

// The console once opened --command-log twice (its member backend, and the Maintenance pane's context on
// every action), each with its own error text. One owner: the command that takes the flag opens it once,
// through commands/context.ts openCommandLog, and hands the open file to whatever logs changes.
test('--command-log is opened in one place, once by each command that takes it', () => {
	const root = fileURLToPath(new URL('../../../source/', import.meta.url));
	const calls = (pattern: RegExp) =>
		readdirSync(root, {recursive: true, encoding: 'utf8'})
			.filter(file => /\.tsx?$/.test(file))
			.flatMap(file => (readFileSync(join(root, file), 'utf8').match(pattern) ?? []).map(() => file))
			.sort();
	// Its definition, and the one call.
	assert.deepEqual(calls(/\bopenCommandLogFile\(/g), ['commands/context.ts', 'output/command-log-file.ts']);
	// Its definition, and one call in each command file that takes --command-log.
	assert.deepEqual(calls(/\bopenCommandLog\(/g), ['commands/console.ts', 'commands/context.ts', 'commands/maintenance.ts', 'commands/member.ts']);
});
