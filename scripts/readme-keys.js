#!/usr/bin/env node
// Rewrites the key table in readme.md from the keymap (run after `npm run build`); a unit test fails
// when the two differ.
import {readFileSync, writeFileSync} from 'node:fs';
import {buildKeymap, keyTableMarkdown} from '../dist/source/ui/keymap.js';

const readme = readFileSync('readme.md', 'utf8');
const table = keyTableMarkdown(buildKeymap({isReadOnly: false}));
const next = readme.replace(/\| keys \| action \| where \|\n(?:\|.*\|\n)+/, `${table}\n`);
if (next === readme && !readme.includes(table)) {
	console.error('no key table found in readme.md');
	process.exit(1);
}
writeFileSync('readme.md', next);
