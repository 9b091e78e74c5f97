import assert from 'node:assert/strict';
import {test} from 'node:test';
import {parseDuration} from '../../source/config/duration.js';
import {formatDuration} from '../../source/model/format.js';

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

test('formats durations compactly, rounding once in the unit shown and carrying', () => {
	const cases: Array<[number, string]> = [
		[0, '0ms'],
		[250, '250ms'],
		[999.4, '999ms'],
		[999.6, '1s'],
		[1000, '1s'],
		[1500, '1.5s'],
		[59_940, '59.9s'],
		[59_960, '1m0s'],
		[90_000, '1m30s'],
		[119_400, '1m59s'],
		[119_600, '2m0s'],
		[3_599_600, '1h0m'],
		[3_600_000, '1h0m'],
		[5_430_000, '1h31m'],
		[-5, '0ms'],
	];
	for (const [ms, expected] of cases) assert.equal(formatDuration(ms), expected, String(ms));
});

test('a countdown is whole seconds rounded up: due in 0.2s reads 1s', () => {
	const cases: Array<[number, string]> = [
		[200, '1s'],
		[1000, '1s'],
		[1001, '2s'],
		[59_001, '1m0s'],
		[119_600, '2m0s'],
		[-300, '0s'],
	];
	for (const [ms, expected] of cases) assert.equal(formatDuration(ms, {finest: 'seconds', rounding: 'up'}), expected, String(ms));
});
