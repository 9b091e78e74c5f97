import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {quoteArgv, quoteShellArg, withEnv} from '../../source/ssh/quote.js';
import {commandLine, wireCommandLine} from '../../source/ssh/remote-exec.js';

const scratch = mkdtempSync(join(tmpdir(), 'etcdtop-quote-'));
const marker = join(scratch, 'pwned');
const hostile = [
	`a'; touch ${marker}; echo '`,
	`$(touch ${marker})`,
	`\`touch ${marker}\``,
	`etcd-1\ntouch ${marker}`,
	`"; touch ${marker}; "`,
	`\\'; touch ${marker}; '`,
	`x & touch ${marker} &`,
	`x | touch ${marker}`,
	`x > ${marker}`,
	'${HOME}',
	'$((1+1))',
	'*',
	'~',
	'!!',
	'-rf',
	'--',
	'',
	' ',
	'\t',
	"'",
	"''",
	'"',
	'\\',
	'a b  c',
	'héllo wörld ✓',
	'=value',
	'trailing newline\n',
	'\r\n',
];

/** Runs a command string through real shells and returns the arguments they handed to printf. */
function throughShell(shell: string, argv: readonly string[]): string[] {
	const result = spawnSync(shell, ['-c', `printf '%s\\0' ${quoteArgv(argv)}`], {encoding: 'utf8'});
	assert.equal(result.status, 0, result.stderr);
	return result.stdout.split('\0').slice(0, -1);
}

const shells = ['/bin/sh', '/bin/dash', '/bin/bash'].filter(existsSync);

describe('POSIX quoting', () => {
	after(() => rmSync(scratch, {recursive: true, force: true}));

	for (const shell of shells) {
		it(`round-trips hostile arguments exactly through ${shell} -c and runs none of them`, () => {
			assert.deepEqual(throughShell(shell, hostile), hostile);
			assert.equal(existsSync(marker), false, 'a quoted argument ran as shell code');
		});
	}

	it('round-trips random strings over a hostile alphabet', () => {
		const alphabet = [..."abc '\"\\$`(){}[];&|<>*?!~#=%\n\t-é✓"];
		let seed = 42;
		const random = () => {
			seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
			return seed / 2 ** 31;
		};
		const inputs = Array.from({length: 300}, () => Array.from({length: Math.floor(random() * 12)}, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
		assert.deepEqual(throughShell('/bin/sh', inputs), inputs);
		assert.equal(existsSync(marker), false);
	});

	it('leaves plain words readable and quotes everything else', () => {
		assert.equal(quoteArgv(['etcdctl', '--endpoints=https://10.0.0.1:2379', 'snapshot', 'save', '/var/backups/etcd.db']), 'etcdctl --endpoints=https://10.0.0.1:2379 snapshot save /var/backups/etcd.db');
		assert.equal(quoteShellArg(''), "''");
		assert.equal(quoteShellArg("it's"), `'it'\\''s'`);
		assert.equal(quoteShellArg('a b'), "'a b'");
		assert.equal(quoteShellArg('~'), "'~'");
		assert.equal(quoteShellArg('=x'), "'=x'");
	});

	it('refuses what cannot be quoted safely', () => {
		assert.throws(() => quoteShellArg('a\0b'), RangeError);
		assert.throws(() => quoteArgv([]), RangeError);
		assert.throws(() => withEnv(['true'], {'BAD NAME': 'x'}), RangeError);
		assert.throws(() => withEnv(['true'], {'X;touch': 'x'}), RangeError);
		assert.throws(() => withEnv(['A=b'], {X: 'y'}), RangeError);
		assert.deepEqual(withEnv(['true']), ['true']);
	});

	it('passes environment values through env(1) byte for byte', () => {
		const value = hostile.join('|');
		const line = quoteArgv(withEnv(['printenv', 'ETCDTOP_VALUE'], {ETCDTOP_VALUE: value}));
		const result = spawnSync('/bin/sh', ['-c', line], {encoding: 'utf8'});
		assert.equal(result.status, 0, result.stderr);
		assert.equal(result.stdout, `${value}\n`);
		assert.equal(existsSync(marker), false);
	});

	it('keeps argv intact inside the kill-on-close wrapper, and the log shows the plain command', async () => {
		const command = {argv: ['printf', '%s\\0', ...hostile], env: {ETCDTOP_X: "it's"}};
		assert.equal(commandLine(command), quoteArgv(['env', "ETCDTOP_X=it's", 'printf', '%s\\0', ...hostile]));
		// stdin stays open, as an SSH channel's does until it closes.
		const child = spawn('/bin/sh', ['-c', wireCommandLine(command)], {stdio: ['pipe', 'pipe', 'pipe']});
		const chunks: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
		const code = await new Promise(resolve => child.once('exit', resolve));
		child.stdin.end();
		assert.equal(code, 0);
		assert.deepEqual(Buffer.concat(chunks).toString('utf8').split('\0').slice(0, -1), hostile);
		assert.equal(existsSync(marker), false);
	});

	it('kills the wrapped command when stdin reaches EOF, and passes exit codes through', async () => {
		const child = spawn('/bin/sh', ['-c', wireCommandLine({argv: ['sleep', '30']})], {stdio: ['pipe', 'ignore', 'ignore']});
		setTimeout(() => child.stdin.end(), 300);
		const started = Date.now();
		const code = await new Promise(resolve => child.once('exit', resolve));
		assert.ok(Date.now() - started < 10_000, 'sleep outlived its channel');
		assert.equal(code, 128 + 15);
		const exit = spawn('/bin/sh', ['-c', wireCommandLine({argv: ['sh', '-c', 'exit 7']})], {stdio: ['pipe', 'ignore', 'ignore']});
		const exitCode = await new Promise(resolve => exit.once('exit', resolve));
		exit.stdin.end();
		assert.equal(exitCode, 7);
	});
});
