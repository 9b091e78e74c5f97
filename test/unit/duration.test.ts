import assert from 'node:assert/strict';
import {test} from 'node:test';
import {formatDuration, parseDuration} from '../../source/config/duration.js';

test('parses Go durations as etcdctl does', () => {
	const cases: Array<[string, number | undefined]> = [
		['500ms', 500],
		['2s', 2000],
		['1m', 60_000],
		['1m30s', 90_000],
		['1.5s', 1500],
		['1h', 3_600_000],
		['0', 0],
		['250us', 0.25],
		['', undefined],
		['5', undefined],
		['5x', undefined],
		['s', undefined],
		['-1s', undefined],
		['1s junk', undefined],
	];
	for (const [text, expected] of cases) assert.equal(parseDuration(text), expected, text);
});

test('formats durations compactly', () => {
	assert.equal(formatDuration(250), '250ms');
	assert.equal(formatDuration(1000), '1s');
	assert.equal(formatDuration(1500), '1.5s');
	assert.equal(formatDuration(90_000), '1m30s');
});
