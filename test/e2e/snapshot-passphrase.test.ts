import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {AgeEncryptor, openAgeFileSource} from '../../source/snapshot/file/age.js';
import {cliPath} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {hasEtcd, tempDir} from '../helpers/snapshot-fixtures.js';
import {TmuxSession} from '../helpers/tmux.js';

// age and etcdtop both read passphrases from the terminal, never argv: both sides run under tmux.
const hasAge = spawnSync('age', ['--version'], {stdio: 'ignore'}).status === 0;
const dir = tempDir('etcdtop-passphrase-');
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
	dir.remove();
});

function open(argv: string[]): TmuxSession {
	const session = TmuxSession.start(argv, {columns: 120, rows: 20});
	sessions.push(session);
	return session;
}

const passphrase = 'tr0ub4dor & 3 "quoted"';

test('a passphrase file we write, the real age decrypts; one real age writes, we read', {skip: !hasAge && 'age not installed', timeout: 120_000}, async () => {
	const plain = Buffer.from('snapshot bytes '.repeat(10_000));
	const ours = join(dir.path, 'ours.age');
	const encryptor = new AgeEncryptor([{kind: 'scrypt', passphrase, logN: 16}]);
	const out: Buffer[] = [];
	encryptor.push(plain, bytes => out.push(Buffer.from(bytes)));
	encryptor.end(bytes => out.push(bytes));
	writeFileSync(ours, Buffer.concat(out));
	const decrypted = join(dir.path, 'ours.out');
	const decrypt = open(['age', '--decrypt', '--output', decrypted, ours]);
	await decrypt.waitFor(/passphrase/i);
	decrypt.sendKeys('-l', passphrase);
	decrypt.sendKeys('Enter');
	assert.equal(await decrypt.waitForExit(60_000), 0, decrypt.capture());
	assert.ok(readFileSync(decrypted).equals(plain));

	const source = join(dir.path, 'theirs.txt');
	writeFileSync(source, plain);
	const theirs = join(dir.path, 'theirs.age');
	const encrypt = open(['age', '--passphrase', '--output', theirs, source]);
	// age clears its first prompt before it asks to confirm.
	for (const prompt of [/Enter passphrase/, /Confirm passphrase/]) {
		await encrypt.waitFor(prompt);
		encrypt.sendKeys('-l', passphrase);
		encrypt.sendKeys('Enter');
	}
	assert.equal(await encrypt.waitForExit(60_000), 0, encrypt.capture());
	const reader = openAgeFileSource(theirs, {identities: [{kind: 'scrypt', passphrase}]});
	assert.ok(reader.read(0, plain.length).equals(plain));
	reader.close();
});

test('snapshot save --encrypt-passphrase asks twice without echo; snapshot status asks once', {skip: (!hasEtcd && 'etcd not installed') || (!hasAge && 'age not installed'), timeout: 300_000}, async () => {
	const cluster = await startCluster({members: 1});
	const file = join(dir.path, 'prompted.db');
	const save = open([process.execPath, cliPath, 'snapshot', 'save', file, '--endpoints', cluster.endpoints[0]!, '--encrypt-passphrase']);
	await save.waitFor('Snapshot passphrase:');
	save.sendKeys('-l', passphrase);
	save.sendKeys('Enter');
	await save.waitFor('Again:');
	assert.ok(!save.capture().includes(passphrase), 'no echo');
	save.sendKeys('-l', passphrase);
	save.sendKeys('Enter');
	assert.equal(await save.waitForExit(120_000), 0, save.capture());
	assert.ok(existsSync(`${file}.age`));

	const status = open([process.execPath, cliPath, 'snapshot', 'status', `${file}.age`, '-w', 'json']);
	await status.waitFor('Snapshot passphrase:');
	status.sendKeys('-l', passphrase);
	status.sendKeys('Enter');
	assert.equal(await status.waitForExit(120_000), 0, status.capture());
	assert.match(status.capture(), /"sha256":"ok"/);
});
