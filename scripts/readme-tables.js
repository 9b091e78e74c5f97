#!/usr/bin/env node
// Rewrites the key table and the flag table in readme.md from their declarations (run after `npm run
// build`); a unit test fails when the readme and the declarations differ.
import {readFileSync, writeFileSync} from 'node:fs';
import {flagTableMarkdown} from '../dist/source/commands/help.js';
import {buildKeymap, keyTableMarkdown} from '../dist/source/ui/keymap.js';

const tables = [
	{name: 'key', header: /\| keys \| action \| where \|\n(?:\|.*\|\n)+/, table: keyTableMarkdown(buildKeymap({isReadOnly: false}))},
	{name: 'flag', header: /\| flag \| default \|.*\n(?:\|.*\|\n)+/, table: flagTableMarkdown()},
];
let readme = readFileSync('readme.md', 'utf8');
for (const {name, header, table} of tables) {
	const next = readme.replace(header, `${table}\n`);
	if (next === readme && !readme.includes(table)) {
		console.error(`no ${name} table found in readme.md`);
		process.exit(1);
	}
	readme = next;
}
writeFileSync('readme.md', readme);
