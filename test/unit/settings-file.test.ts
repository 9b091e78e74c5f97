import assert from 'node:assert/strict';
import {mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {settingsFileName, writeSettingsFile} from '../../source/output/settings-file.js';
import {tempDir} from '../helpers/temp-files.js';

const at = new Date('2026-12-06T11:00:00Z');

test('the settings file: a new file, mode 0600, each line whole, control bytes as escapes', t => {
	const dir = tempDir('etcdtop-settings-');
	t.after(() => dir.remove());
	const path = writeSettingsFile(['export ETCD_INITIAL_CLUSTER=a=http://1:2,b=http://3:4', 'evil \u001b[2J'], 'etcd-4', {dirs: [dir.path], at});
	assert.equal(path, join(dir.path, 'etcdtop-etcd-4-settings-20261206T110000Z.txt'));
	assert.equal(statSync(path).mode & 0o777, 0o600);
	assert.equal(readFileSync(path, 'utf8'), 'export ETCD_INITIAL_CLUSTER=a=http://1:2,b=http://3:4\nevil \\x1b[2J\n');
});

test('a planted link or file under the name is never followed or overwritten; the next directory is used', t => {
	const dir = tempDir('etcdtop-settings-');
	t.after(() => dir.remove());
	const planted = join(dir.path, 'a');
	const fallback = join(dir.path, 'b');
	mkdirSync(planted);
	const target = join(dir.path, 'target');
	writeFileSync(target, 'keep');
	symlinkSync(target, join(planted, settingsFileName('etcd-4', at)));
	const path = writeSettingsFile(['x'], 'etcd-4', {dirs: [planted, fallback], at});
	assert.equal(path, join(fallback, settingsFileName('etcd-4', at)));
	assert.equal(readFileSync(target, 'utf8'), 'keep');
	assert.equal(statSync(fallback).mode & 0o777, 0o700);
	assert.throws(() => writeSettingsFile(['x'], 'etcd-4', {dirs: [planted], at}), /exists already .*not overwritten/);
});
