import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {flags, flagSpelling} from '../../source/cli-flags.js';
import {buildKeymap, keyTableMarkdown} from '../../source/ui/keymap.js';

const readme = readFileSync(fileURLToPath(new URL('../../../readme.md', import.meta.url)), 'utf8');

test('the readme key table is the keymap', () => {
	assert.ok(readme.includes(keyTableMarkdown(buildKeymap({isReadOnly: false}))), 'regenerate the table with keyTableMarkdown(buildKeymap(...))');
});

test('every flag is documented in the readme', () => {
	for (const name of Object.keys(flags)) assert.ok(readme.includes(`\`${flagSpelling(name)}\``), `${flagSpelling(name)} is missing from readme.md`);
});

test('read-only drops every dangerous action from the keymap', () => {
	assert.ok(buildKeymap({isReadOnly: true}).every(action => !action.isDangerous));
	const all = buildKeymap({isReadOnly: false});
	const safe = all.filter(action => !action.isDangerous);
	assert.deepEqual(buildKeymap({isReadOnly: true}), safe);
});
