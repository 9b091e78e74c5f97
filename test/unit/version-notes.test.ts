import assert from 'node:assert/strict';
import {test} from 'node:test';
import {versionNoteRules, versionNotes} from '../../source/model/version-notes.js';
import {statusJson} from '../../source/output/status-json.js';
import {statusTable} from '../../source/output/status-text.js';
import {exitCodeFor} from '../../source/output/exit-code.js';
import {ClusterBuilder} from '../helpers/cluster-builder.js';

const ids = (versions: string[]) => versionNotes(versions).map(note => note.id);

test('version notes: each known problem for the releases it concerns, and none for a current release', () => {
	assert.deepEqual(ids(['3.4.23', '3.4.23', '3.4.23']), ['eol-3.4', 'defrag-3.4']);
	assert.deepEqual(ids(['3.4.38']), ['eol-3.4']);
	assert.deepEqual(ids(['3.5.0']), ['defrag-3.5']);
	assert.deepEqual(ids(['3.5.1']), ['learner-v2store', 'defrag-3.5']);
	assert.deepEqual(ids(['3.5.19']), ['learner-v2store', 'defrag-3.5']);
	assert.deepEqual(ids(['3.5.20']), ['defrag-3.5']);
	assert.deepEqual(ids(['3.5.23']), []);
	assert.deepEqual(ids(['3.5.30']), []);
	assert.deepEqual(ids(['3.6.4']), ['defrag-3.6', 'quota-3.6']);
	assert.deepEqual(ids(['3.6.5']), ['quota-3.6']);
	assert.deepEqual(ids(['3.6.6']), []);
	assert.deepEqual(ids([]), []);
	for (const rule of versionNoteRules) assert.match(rule.source, /^https:\/\//, `${rule.id} names its source`);
});

test('version notes: mixed versions are said first with every version; remote junk after the numbers is never shown', () => {
	const notes = versionNotes(['3.5.30', '3.5.16\u001B[31m', '3.5.30', 'garbage']);
	assert.equal(notes[0]!.id, 'mixed');
	assert.match(notes[0]!.text, /members run different etcd versions \(3\.5\.16, 3\.5\.30\)/);
	assert.ok(notes.every(note => !note.text.includes('\u001B')));
	assert.deepEqual(notes.map(note => note.id), ['mixed', 'learner-v2store', 'defrag-3.5']);
	assert.match(notes[1]!.text, /^3\.5\.16: .*>= 3\.5\.32/);
});

test('status: the notes follow the summary (table) and sit in cluster.notes (json); they never change the exit code', () => {
	const view = new ClusterBuilder().list().allOk({version: '3.5.12'}).state.view;
	assert.equal(view.health, 'healthy');
	assert.equal(exitCodeFor(view.health), 0);
	assert.match(statusTable(view), /\nnote: 3\.5\.12: learner promotion was persisted only to the v2 store/);
	const json = statusJson(view) as {cluster: {notes: Array<{id: string; source: string}>}};
	assert.deepEqual(json.cluster.notes.map(note => note.id), ['learner-v2store', 'defrag-3.5']);
	const current = new ClusterBuilder().list().allOk({version: '3.5.30'}).state.view;
	assert.doesNotMatch(statusTable(current), /note:/);
});
