import assert from 'node:assert/strict';
import {test} from 'node:test';
import {visibleLine, visibleText} from '../../source/model/visible-text.js';

test('controls and bidi overrides become visible escapes; tab and newline stay', () => {
	assert.equal(visibleText('a\u001b[2Jb\u0007c\u009bd\u202ee\u2066f\u007fg'), 'a\\x1b[2Jb\\x07c\\u009bd\\u202ee\\u2066f\\u007fg');
	assert.equal(visibleText('one\ttwo\nthree'), 'one\ttwo\nthree');
	assert.equal(visibleText('\r'), '\\x0d');
	assert.equal(visibleText('plain ünïcode ✓ 名前'), 'plain ünïcode ✓ 名前');
});

test('a line keeps to one line', () => {
	assert.equal(visibleLine('a\nb\tc'), 'a\\nb\\tc');
});

test('a JSON document stays valid JSON with the same data once sanitized', () => {
	const data = {name: 'x\u001b]0;t\u0007\u202e\u0085\u007fy', list: ['\u2069']};
	const sanitized = visibleText(JSON.stringify(data));
	assert.doesNotMatch(sanitized, /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
	assert.deepEqual(JSON.parse(sanitized), data);
});
