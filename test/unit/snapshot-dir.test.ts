import assert from 'node:assert/strict';
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {applyRetention, listSnapshotDir} from '../../source/snapshot/snapshot-dir.js';
import {tempDir} from '../helpers/temp-files.js';

function snapshot(directory: string, name: string, createdAt: string, withManifest = true): void {
	writeFileSync(join(directory, name), 'db');
	if (withManifest) writeFileSync(join(directory, `${name}.meta.json`), JSON.stringify({manifestVersion: 1, file: name, createdAt, member: {name: 'etcd-1'}, revision: 1}));
}

test('listing: newest first by manifest time, manifests, .part files and directories left out', () => {
	const dir = tempDir();
	try {
		snapshot(dir.path, 'b.db', '2026-01-02T00:00:00Z');
		snapshot(dir.path, 'a.db.age', '2026-01-03T00:00:00Z');
		writeFileSync(join(dir.path, 'c.db.part'), 'x');
		mkdirSync(join(dir.path, 'sub'));
		const entries = listSnapshotDir(dir.path);
		assert.deepEqual(entries.map(entry => entry.name), ['a.db.age', 'b.db']);
		assert.equal(entries[0]!.isEncrypted, true);
		assert.deepEqual(listSnapshotDir(join(dir.path, 'missing')), []);
	} finally {
		dir.remove();
	}
});

test('applyRetention removes only files etcdtop wrote, oldest first, with their manifests; a failed one does not count as verified', () => {
	const dir = tempDir();
	try {
		snapshot(dir.path, 's1.db', '2026-01-01T00:00:00Z');
		snapshot(dir.path, 's2.db', '2026-01-02T00:00:00Z');
		snapshot(dir.path, 's3.db', '2026-01-03T00:00:00Z');
		snapshot(dir.path, 'foreign.db', '', false);
		assert.deepEqual(applyRetention(dir.path, 2), ['s1.db']);
		assert.deepEqual(readdirSync(dir.path).sort(), ['foreign.db', 's2.db', 's2.db.meta.json', 's3.db', 's3.db.meta.json']);
		// s3 failed verification: keep 1 must still keep s2, the newest good one.
		assert.deepEqual(applyRetention(dir.path, 1, new Set(['s3.db'])), []);
	} finally {
		dir.remove();
	}
});
