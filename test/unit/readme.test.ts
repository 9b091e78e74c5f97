import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {flagTableMarkdown} from '../../source/commands/help.js';
import {buildKeymap, keyTableMarkdown} from '../../source/ui/keymap.js';

const readme = readFileSync(fileURLToPath(new URL('../../../readme.md', import.meta.url)), 'utf8');

test('the readme key table is the keymap', () => {
	assert.ok(readme.includes(keyTableMarkdown(buildKeymap({isReadOnly: false}))), 'regenerate the tables: npm run build && node scripts/readme-tables.js');
});

test('the readme flag table is the flag declarations', () => {
	assert.ok(readme.includes(flagTableMarkdown()), 'regenerate the tables: npm run build && node scripts/readme-tables.js');
});

test('read-only drops every dangerous action from the keymap', () => {
	assert.ok(buildKeymap({isReadOnly: true}).every(action => !action.isDangerous));
	const all = buildKeymap({isReadOnly: false});
	const safe = all.filter(action => !action.isDangerous);
	assert.deepEqual(buildKeymap({isReadOnly: true}), safe);
});
