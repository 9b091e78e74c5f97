import assert from 'node:assert/strict';
import {test} from 'node:test';
import {histogramDelta, histogramQuantile, MetricsFormatError, parseEtcdMetrics, type EtcdMetrics, type Histogram} from '../../source/model/etcd-metrics.js';
import {findingsOf, worstLevel} from '../../source/model/metrics-thresholds.js';
import {activeFindings, readingOf, recordScrape, recordScrapeFailure, type MetricsReading, type MetricsScrape} from '../../source/model/metrics-window.js';
import {parsePromText, PromParseError} from '../../source/model/prom-text.js';
import {metricsText} from '../helpers/fixtures.js';

const versions = Object.keys(metricsText) as Array<keyof typeof metricsText>;
const fsyncBounds = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, Number.POSITIVE_INFINITY];

for (const version of versions) {
	test(`etcd ${version}: label values with escaped quotes and backslashes read back as etcd stored them`, () => {
		const samples = parsePromText(metricsText[version], ['etcd_server_client_requests_total']);
		const versionsSeen = samples.map(sample => sample.labels['client_api_version']);
		// The capture sent this header value through etcd's gRPC gateway; etcd wrote it escaped.
		assert.ok(versionsSeen.includes('3.x "quoted" \\path\\'), `label values: ${JSON.stringify(versionsSeen)}`);
		assert.ok(metricsText[version].includes('client_api_version="3.x \\"quoted\\" \\\\path\\\\"'), 'the fixture holds the escaped form');
	});

	test(`etcd ${version}: every listed family is read, histograms with their +Inf bucket`, () => {
		const metrics = parseEtcdMetrics(metricsText[version]);
		assert.deepEqual(metrics.walFsync?.bounds, fsyncBounds);
		assert.deepEqual(metrics.backendCommit?.bounds, fsyncBounds);
		assert.equal(metrics.walFsync?.counts.at(-1), 59);
		assert.ok(metrics.walFsync!.sum > 0);
		const peers = Object.keys(metrics.peerRtt);
		assert.equal(peers.length, 2, 'a 3-member cluster: two peers');
		for (const id of peers) {
			assert.match(id, /^[0-9a-f]{16}$/);
			assert.equal(metrics.peerRtt[id]!.bounds.at(-1), Number.POSITIVE_INFINITY);
			assert.equal(metrics.peerRtt[id]!.bounds[0], 0.0001);
		}
		assert.equal(metrics.leaderChanges, 1);
		assert.equal(metrics.proposalsFailed, 0);
		assert.equal(metrics.proposalsPending, 0);
		assert.equal(metrics.hasLeader, true);
		assert.equal(metrics.dbTotalSize, 24576);
		assert.equal(metrics.dbTotalSizeInUse, 24576);
		assert.equal(metrics.quotaBytes, 2_147_483_648, 'etcd writes it as 2.147483648e+09');
		assert.equal(metrics.slowApply, 0);
		assert.equal(metrics.maxFds, 20000);
		assert.ok(metrics.openFds! > 10 && metrics.openFds! < 100);
	});
}

test('etcd 3.4.23: the lifetime fsync p99 is interpolated in its bucket as histogram_quantile does', () => {
	// 58 of 59 fsyncs took <= 32 ms, the 59th <= 64 ms: rank 58.41 sits 0.41 into the (32, 64] bucket.
	const metrics = parseEtcdMetrics(metricsText['3.4.23']);
	assert.ok(Math.abs(histogramQuantile(0.99, metrics.walFsync!)! - (0.032 + 0.032 * 0.41)) < 1e-9);
});

test('histogram_quantile: the first bucket starts at 0, +Inf answers the highest finite bound, empty is unknown', () => {
	const histogram = (counts: number[], bounds = [0.1, 0.2, 1, Number.POSITIVE_INFINITY]): Histogram => ({bounds, counts, sum: 0});
	// Prometheus' own test data: positive buckets 50/70/110/120 -> q 0.2 = 0.048, q 0.5 = 0.15.
	assert.ok(Math.abs(histogramQuantile(0.2, histogram([50, 70, 110, 120]))! - 0.048) < 1e-12);
	assert.ok(Math.abs(histogramQuantile(0.5, histogram([50, 70, 110, 120]))! - 0.15) < 1e-12);
	assert.equal(histogramQuantile(0.99, histogram([0, 0, 0, 5])), 1, 'every observation above the last finite bound');
	assert.equal(histogramQuantile(0.99, histogram([0, 0, 0, 0])), undefined);
	assert.equal(histogramQuantile(0.3, histogram([10, 20, 20, 30], [-0.2, -0.1, 0.3, Number.POSITIVE_INFINITY])), -0.2);
	// A scrape that raced an observation may show a lower bucket fuller than the next one.
	assert.equal(histogramQuantile(0.5, histogram([10, 9, 10, 10])), 0.05);
});

test('a window is the difference of two scrapes; a restart (counts fell) starts from zero', () => {
	const older: Histogram = {bounds: fsyncBounds, counts: [10, 20, 30, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40], sum: 0.1};
	const newer: Histogram = {bounds: fsyncBounds, counts: [10, 20, 30, 40, 40, 40, 40, 40, 40, 140, 140, 140, 140, 140, 140], sum: 40.1};
	const delta = histogramDelta(newer, older);
	assert.deepEqual(delta.counts, [0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 100, 100, 100, 100, 100]);
	// All 100 new fsyncs took 256-512 ms: p99 is 0.99 of the way through that bucket.
	assert.ok(Math.abs(histogramQuantile(0.99, delta)! - (0.256 + 0.256 * 0.99)) < 1e-12);
	const lifetime = histogramQuantile(0.99, newer)!;
	assert.ok(lifetime < histogramQuantile(0.99, delta)!, 'the lifetime p99 dilutes what happens now');
	const restarted: Histogram = {bounds: fsyncBounds, counts: [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], sum: 0.002};
	assert.equal(histogramDelta(restarted, older), restarted);
});

test('bytes in pieces read as the text does, whatever the cut: lines across pieces, CRLF, UTF-8 split, no final newline', () => {
	const text = '# HELP x what\r\nx{name="m\u00e9mbre-\u2603"} 1\r\nyy 2\nx{name="b"} 2.5e+09\n\nx 3';
	const bytes = new TextEncoder().encode(text);
	const expected = parsePromText(text, ['x']);
	assert.deepEqual(expected.map(sample => [sample.labels['name'], sample.value]), [['m\u00e9mbre-\u2603', 1], ['b', 2.5e9], [undefined, 3]]);
	for (let cut = 0; cut <= bytes.length; cut++) {
		for (let second = cut; second <= bytes.length; second += 7) {
			const pieces = [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)];
			assert.deepEqual(parsePromText(pieces, ['x']), expected, `cut at ${cut} and ${second}`);
		}
	}
	for (const version of versions) {
		const whole = new TextEncoder().encode(metricsText[version]);
		const pieces: Uint8Array[] = [];
		// etcd answers in chunks of up to 4 KB; any size must read the same.
		for (let start = 0, size = 1; start < whole.length; start += size, size = (size * 7 + 13) % 5000) pieces.push(whole.subarray(start, start + size));
		assert.deepEqual(parseEtcdMetrics(pieces), parseEtcdMetrics(metricsText[version]), version);
	}
	assert.throws(() => parsePromText([new TextEncoder().encode('x{a="1'), new TextEncoder().encode('} 3\n')], ['x']), /line 1: a label value is not closed/);
	assert.throws(() => parseEtcdMetrics([new TextEncoder().encode('<html>not')]), /no etcd metrics in the answer \(it starts "<html>not"\)/);
});

test('a wanted line that does not parse is an error naming the line; other lines are not read', () => {
	assert.throws(() => parsePromText('# TYPE x gauge\nx{a="1} 3\n', ['x']), (error: unknown) => error instanceof PromParseError && /line 2/.test(error.message));
	assert.throws(() => parsePromText('x{a="\\q"} 3\n', ['x']), /unknown escape/);
	assert.throws(() => parsePromText('x 3 abc\n', ['x']), /timestamp/);
	assert.throws(() => parsePromText('x three\n', ['x']), /not a number/);
	assert.deepEqual(parsePromText('y{broken 1\nx{a="a\\nb",b=""} -Inf 1700000000000\n', ['x']), [
		{name: 'x', labels: {a: 'a\nb', b: ''}, value: Number.NEGATIVE_INFINITY},
	]);
	assert.throws(() => parseEtcdMetrics('<html>not found</html>\n'), (error: unknown) => error instanceof MetricsFormatError && /no etcd metrics/.test(error.message));
	assert.throws(() => parseEtcdMetrics('etcd_disk_wal_fsync_duration_seconds_bucket{le="0.1"} 1\n'), /no \+Inf bucket/);
});

function scrapeAt(at: number, base: EtcdMetrics, change: Partial<EtcdMetrics> = {}): MetricsScrape {
	return {at, metrics: {...base, ...change}};
}

function slowerFsync(base: Histogram, slow: number, bucketBound = 0.512): Histogram {
	return {...base, counts: base.counts.map((count, index) => (base.bounds[index]! >= bucketBound ? count + slow : count))};
}

test('a window reading: percentiles of what happened in the window, failed proposals in it, leader changes in 15 min', () => {
	const base = parseEtcdMetrics(metricsText['3.5.30']);
	const t0 = 1_000_000;
	let track = recordScrape(undefined, scrapeAt(t0, base), 30_000);
	assert.equal(track.reading!.walFsyncP99Ms, undefined, 'one scrape is no window yet');
	assert.equal(track.reading!.windowMs, 0);
	track = recordScrape(track, scrapeAt(t0 + 5000, base), 30_000);
	assert.equal(track.reading!.walFsyncP99Ms, undefined, 'no fsync in the window');
	assert.equal(track.reading!.windowMs, 5000);
	const slow = slowerFsync(base.walFsync!, 50);
	track = recordScrape(track, scrapeAt(t0 + 10_000, base, {walFsync: slow, proposalsFailed: 2, leaderChanges: 3}), 30_000);
	assert.ok(Math.abs(track.reading!.walFsyncP99Ms! - (256 + 256 * 0.99)) < 1e-9);
	assert.equal(track.reading!.proposalsFailedRecent, 2);
	assert.deepEqual(track.reading!.leaderChangesRecent, {count: 2, spanMs: 10_000});
	assert.deepEqual(track.findings.map(finding => `${finding.level} ${finding.key}`), ['warning wal-fsync', 'warning proposals-failed']);
	// 40 s later without new fsyncs the slow ones have left the 30 s window.
	for (let at = t0 + 15_000; at <= t0 + 50_000; at += 5000) track = recordScrape(track, scrapeAt(at, base, {walFsync: slow, proposalsFailed: 2, leaderChanges: 5}), 30_000);
	assert.equal(track.reading!.walFsyncP99Ms, undefined);
	assert.equal(track.reading!.proposalsFailedRecent, 0);
	assert.equal(track.reading!.leaderChangesRecent!.count, 4, '1 -> 5 within 15 minutes');
	assert.deepEqual(track.findings.map(finding => finding.key), ['leader-changes']);
	assert.ok(track.scrapes.length <= 15, `scrapes are trimmed to the windows: ${track.scrapes.length}`);
	assert.equal(track.history.length, 11);

	const failed = recordScrapeFailure(track, t0 + 55_000, 'timeout after 2s');
	assert.deepEqual(activeFindings(failed), [], 'a number that cannot be read keeps no alert alive');
	assert.equal(failed.findings, track.findings, 'but they are remembered: a read that works again is compared with them');
	assert.equal(failed.reading, track.reading);
	assert.equal(recordScrapeFailure(failed, t0 + 60_000, 'again').error!.since, t0 + 55_000);
	assert.equal(recordScrape(failed, scrapeAt(t0 + 65_000, base), 30_000).error, undefined);
});

test('a lifetime reading (one scrape, no window): the worst peer; its p99s are not judged', () => {
	const base = parseEtcdMetrics(metricsText['3.4.23']);
	const [first, second] = Object.keys(base.peerRtt);
	const slowPeer: Histogram = {...base.peerRtt[second!]!, counts: base.peerRtt[second!]!.counts.map((count, index) => (index >= 11 ? count + 100 : count))};
	const reading = readingOf([], scrapeAt(1, base, {peerRtt: {[first!]: base.peerRtt[first!]!, [second!]: slowPeer}}), undefined);
	assert.equal(reading.windowMs, undefined);
	assert.ok(Math.abs(reading.walFsyncP99Ms! - 45.12) < 1e-9);
	assert.equal(reading.worstPeer, second);
	assert.ok(reading.peerRttP99Ms! > 150);
	// Lifetime p99s mix in the member's start: shown, not judged (only a window says what happens now).
	assert.deepEqual(findingsOf(reading, id => (id === second ? 'etcd-3' : id)), []);
	const windowed = findingsOf({...reading, windowMs: 30_000, peerRttWindowMs: 60_000}, id => (id === second ? 'etcd-3' : id));
	assert.equal(windowed[0]!.key, 'peer-rtt');
	assert.match(windowed[0]!.text, /round trip to etcd-3 p99 \d+ ms over the last 60 s, over the 150 ms warning threshold/);
	assert.ok(windowed.some(finding => finding.key === 'wal-fsync' && finding.level === 'notice'), 'an fsync p99 of 45 ms is over the 10 ms etcd recommends');
	assert.deepEqual(findingsOf({...reading, openFds: 900, maxFds: 1000}).map(finding => finding.key), ['fds'], 'open fds are a gauge: judged without a window');
});

function reading(change: Partial<MetricsReading>): MetricsReading {
	return {
		at: 0,
		windowMs: 30_000,
		walFsyncP99Ms: undefined,
		backendCommitP99Ms: undefined,
		peerRttP99Ms: undefined,
		worstPeer: undefined,
		peers: [],
		peerRttWindowMs: 60_000,
		leaderChanges: undefined,
		leaderChangesRecent: undefined,
		proposalsFailed: undefined,
		proposalsFailedRecent: undefined,
		proposalsPending: undefined,
		hasLeader: undefined,
		dbTotalSize: undefined,
		dbTotalSizeInUse: undefined,
		quotaBytes: undefined,
		slowApply: undefined,
		openFds: undefined,
		maxFds: undefined,
		...change,
	};
}

test('thresholds: etcd docs (notice) and etcd-mixin (warning, critical), crossed only when over', () => {
	const level = (change: Partial<MetricsReading>) => worstLevel(findingsOf(reading(change)));
	assert.equal(level({walFsyncP99Ms: 10}), undefined);
	assert.equal(level({walFsyncP99Ms: 10.5}), 'notice');
	assert.equal(level({walFsyncP99Ms: 500}), 'notice');
	assert.equal(level({walFsyncP99Ms: 509}), 'warning');
	assert.equal(level({walFsyncP99Ms: 1019}), 'critical');
	assert.equal(level({backendCommitP99Ms: 25}), undefined);
	assert.equal(level({backendCommitP99Ms: 26}), 'notice');
	assert.equal(level({backendCommitP99Ms: 251}), 'warning');
	assert.equal(level({peerRttP99Ms: 150}), undefined);
	assert.equal(level({peerRttP99Ms: 151}), 'warning');
	assert.equal(level({leaderChangesRecent: {count: 3, spanMs: 900_000}}), undefined);
	assert.equal(level({leaderChangesRecent: {count: 4, spanMs: 900_000}}), 'warning');
	assert.equal(level({proposalsFailedRecent: 0}), undefined);
	assert.equal(level({proposalsFailedRecent: 1}), 'warning');
	assert.equal(level({openFds: 800, maxFds: 1000}), undefined);
	assert.equal(level({openFds: 801, maxFds: 1000}), 'warning');
	const [finding] = findingsOf(reading({walFsyncP99Ms: 612}));
	assert.equal(finding!.text, 'WAL fsync p99 612 ms over the last 30 s, over the 500 ms warning threshold');
});

test('a crossed level holds until the value is 10% under its threshold (no flapping at the line)', () => {
	const crossed = findingsOf(reading({walFsyncP99Ms: 509}));
	const held = findingsOf(reading({walFsyncP99Ms: 470}), undefined, crossed);
	assert.equal(held[0]!.level, 'warning');
	assert.equal(held[0]!.text, 'WAL fsync p99 470 ms over the last 30 s, within 10% of the 500 ms warning threshold');
	assert.equal(findingsOf(reading({walFsyncP99Ms: 450}), undefined, held)[0]!.level, 'notice', 'at 10% under, the warning clears');
	assert.equal(findingsOf(reading({walFsyncP99Ms: 470}))[0]!.level, 'notice', 'without a crossing before, 470 ms is no warning');
	assert.equal(findingsOf(reading({walFsyncP99Ms: 9.5}), undefined, findingsOf(reading({walFsyncP99Ms: 12})))[0]!.text, 'WAL fsync p99 9.50 ms over the last 30 s, within 10% of the 10 ms etcd recommends');
});

test('events: a crossing names the member; a read that fails and works again is not a new crossing', async () => {
	const {ClusterBuilder} = await import('../helpers/cluster-builder.js');
	const base = parseEtcdMetrics(metricsText['3.4.23']);
	const slow = {...base, walFsync: {...base.walFsync!, counts: base.walFsync!.counts.map((count, index) => (index >= 9 ? count + 100 : count))}};
	const builder = new ClusterBuilder(undefined, 30_000).list().allOk().scraped(1, base);
	builder.tick(5000).allOk().scraped(1, slow);
	const name = builder.state.view.members.find(member => member.endpoint === builder.endpoints[1])!.name;
	builder.tick(5000).allOk().scrapeFailed(1, 'http://x/metrics: timeout: no answer within 2000 ms');
	assert.equal(builder.state.view.health, 'healthy', 'an unreadable member no longer counts against the cluster');
	builder.tick(5000).allOk().scraped(1, slow);
	assert.equal(builder.state.view.health, 'degraded');
	const texts = builder.state.events.map(event => `${event.severity} ${event.text}`);
	assert.deepEqual(texts, [
		`warn ${name}: WAL fsync p99 509 ms over the last 5 s, over the 500 ms warning threshold`,
		`warn ${name}: metrics cannot be read: http://x/metrics: timeout: no answer within 2000 ms`,
		`info ${name}: metrics can be read again`,
	]);
	builder.tick(40_000).allOk().scraped(1, slow);
	assert.equal(builder.state.events.length, 3, 'no scrape a window back: the p99 is unknown, which clears nothing');
	builder.tick(10_000).allOk().scraped(1, slow);
	assert.equal(builder.state.events.at(-1)!.text, `${name}: WAL fsync p99 back under its thresholds (no fsync over the last 10 s)`);
});
