import assert from 'node:assert/strict';
import {test} from 'node:test';
import {buildConfig} from '../../source/config/config.js';
import {buildMetricsSettings, parseMetricsUrls} from '../../source/config/metrics-options.js';
import {configError} from '../helpers/config-error.js';

test('--metrics-urls: a URL per member name; a listener address is read at /metrics', () => {
	const urls = parseMetricsUrls('etcd-1=http://127.0.0.1:2381, etcd-2=https://10.0.0.2:2379/custom/metrics');
	assert.deepEqual([...urls], [
		['etcd-1', 'http://127.0.0.1:2381/metrics'],
		['etcd-2', 'https://10.0.0.2:2379/custom/metrics'],
	]);
	assert.deepEqual(buildConfig({endpoints: 'http://127.0.0.1:2379', metricsUrls: 'a=http://[::1]:2381'}, {}).metrics?.urls, new Map([['a', 'http://[::1]:2381/metrics']]));
});

test('bad metrics flags are exit 3 naming the flag and the fix', () => {
	for (const [flags, problem] of [
		[{metricsUrls: 'etcd-1'}, /--metrics-urls: "etcd-1" is not NAME=URL/],
		[{metricsUrls: 'etcd-1=127.0.0.1:2381'}, /is not http or https|is not a URL/],
		[{metricsUrls: 'a=http://h:1,a=http://h:2'}, /member "a" is given twice/],
		[{metricsUrls: ','}, /no NAME=URL/],
		[{metricsEvery: 'often'}, /--metrics-every: "often" is not a duration/],
		[{metricsEvery: '100ms'}, /--metrics-every: 100ms is out of range.*500ms to 1h.*or 0 to turn metrics off/],
		[{metricsWindow: '0'}, /--metrics-window: 0 is out of range.*from 1s to 1h/],
	] as const) {
		assert.match(configError(() => buildMetricsSettings(flags)).message, problem);
	}
});

test('defaults: every 5 s, no window given (console 30 s, status lifetime); 0 turns metrics off', () => {
	assert.deepEqual(buildMetricsSettings({}), {urls: new Map(), everyMs: 5000, windowMs: undefined});
	assert.equal(buildMetricsSettings({metricsEvery: '0'}).everyMs, 0);
	assert.equal(buildMetricsSettings({metricsWindow: '2m'}).windowMs, 120_000);
});
