import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Poller, type MetricsOptions, type StatusSource} from '../../source/poller/poller.js';
import type {HttpAnswer, Routes} from '../../source/route/routes.js';
import {cluster3, metricsText} from '../helpers/fixtures.js';
import {VirtualClock} from '../helpers/virtual-clock.js';

class QuickMember implements StatusSource {
	calls = 0;
	constructor(private readonly index: number) {}
	async status() {
		this.calls++;
		return cluster3.statuses[this.index]!;
	}
	async memberList() {
		return cluster3.memberList;
	}
	close() {}
}

/** /metrics of each member's URL: the captured text, a hang that ignores the abort signal, or an HTTP error. */
class FakeMetrics {
	reads: Array<{url: string; path: string}> = [];
	hung = new Set<string>();
	failing = new Map<string, HttpAnswer>();
	onRead: () => void = () => undefined;
	readonly httpGet: Routes['httpGet'] = async (url, path) => {
		this.reads.push({url, path});
		this.onRead();
		const origin = new URL(url).origin;
		if (this.hung.has(origin)) return new Promise<HttpAnswer>(() => {});
		return this.failing.get(origin) ?? {status: 200, body: metricsText['3.4.23']};
	};
}

const originOf = (endpoint: string) => new URL(endpoint).origin;

/** Polls on a virtual clock: intervals and the /metrics deadline are exact, and nothing sleeps. */
function setup(fake: FakeMetrics, metrics: Partial<MetricsOptions> = {}, intervalMs = 100, {batchMs}: {readonly batchMs?: number} = {}, clock = new VirtualClock()) {
	const members = new Map(cluster3.endpoints.map((endpoint, index) => [endpoint, new QuickMember(index)]));
	const poller = new Poller(
		{endpoints: [cluster3.endpoints[0]!], isDiscovering: true, intervalMs, probeTimeoutMs: 200},
		{routes: {client: endpoint => members.get(endpoint)!, httpGet: fake.httpGet}, metrics: {everyMs: 5000, timeoutMs: 150, windowMs: undefined, urls: new Map(), ...metrics}, timers: clock, now: clock.wall, ...(batchMs === undefined ? {} : {batchMs})},
	);
	/** The settled state, with virtual time moved on until it comes (at most `limitMs`). */
	const settled = async (limitMs = 2000) => {
		let state: Awaited<ReturnType<Poller['settled']>> | undefined;
		void poller.settled().then(value => (state = value));
		await clock.advanceUntil('settled', () => state !== undefined, limitMs);
		return state!;
	};
	return {poller, members, clock, settled};
}

test('status settles with one scrape of each member (lifetime), read at its client URL or its --metrics-urls', async () => {
	const fake = new FakeMetrics();
	const name = cluster3.memberList.members[1]!.name;
	const {poller, settled} = setup(fake, {urls: new Map([[name, 'http://127.0.0.1:2381/metrics']])});
	poller.start();
	const state = await settled();
	poller.stop();
	for (const member of state.view.members) {
		assert.ok(member.metrics?.reading, `${member.name} has a reading`);
		assert.equal(member.metrics.reading.windowMs, undefined, 'lifetime');
		assert.ok(member.metrics.reading.walFsyncP99Ms! > 0);
	}
	const urls = new Set(fake.reads.map(read => read.url));
	assert.ok(fake.reads.every(read => read.path === '/metrics'));
	assert.ok(urls.has('http://127.0.0.1:2381/metrics'));
	const other = cluster3.memberList.members[2]!;
	assert.ok(urls.has(`${other.clientUrls[0]}/metrics`));
});

test('a hung /metrics fails by its deadline, delays no status poll, and changes nothing else', async () => {
	const fake = new FakeMetrics();
	const victim = cluster3.endpoints[1]!;
	fake.hung.add(originOf(victim));
	fake.failing.set(originOf(cluster3.endpoints[2]!), {status: 403, body: 'Forbidden\nmore'});
	const {poller, members, clock, settled} = setup(fake, {everyMs: 100});
	poller.start();
	const state = await settled();
	const before = members.get(victim)!.calls;
	await clock.advance(600);
	const {view} = poller.getSnapshot().cluster;
	poller.stop();
	assert.ok(members.get(victim)!.calls - before >= 4, `the member's status was polled ${members.get(victim)!.calls - before} times meanwhile`);
	const row = (endpoint: string) => view.members.find(member => member.endpoint === endpoint)!;
	assert.match(row(victim).metrics!.error!.message, /\/metrics: timeout: no answer within 150 ms$/);
	assert.match(row(cluster3.endpoints[2]!).metrics!.error!.message, /\/metrics: HTTP 403 \(Forbidden\)$/);
	assert.equal(row(victim).health, 'ok');
	assert.equal(view.health, 'healthy', 'unreadable metrics do not make a member unhealthy');
	assert.ok(state.events.every(event => event.type !== 'member-down'));
	assert.deepEqual(
		state.events.filter(event => event.type === 'metrics-unreadable').map(event => event.text.split(':')[0]).sort(),
		[row(victim).name, row(cluster3.endpoints[2]!).name].sort(),
	);
	// A hung read is abandoned at its deadline; the loop keeps its period instead of piling up.
	const victimReads = fake.reads.filter(read => read.url.startsWith(originOf(victim))).length;
	assert.ok(victimReads >= 2 && victimReads <= 8, `${victimReads} reads of the hung member`);
});

test('a window asks for two scrapes a window apart before status settles', async () => {
	const fake = new FakeMetrics();
	const {poller, clock, settled} = setup(fake, {everyMs: 400, windowMs: 400, isOnPollGrid: false});
	const started = clock.monotonic();
	poller.start();
	const state = await settled();
	const tookMs = clock.monotonic() - started;
	poller.stop();
	assert.ok(tookMs >= 400, `settled after ${tookMs} ms`);
	for (const member of state.view.members) {
		assert.ok(member.metrics!.reading!.windowMs! >= 300, `window ${member.metrics!.reading!.windowMs}`);
		assert.equal(member.metrics!.reading!.walFsyncP99Ms, undefined, 'the same text twice: nothing happened in the window');
	}
});

test('the console takes /metrics answers into the state together, with the next frame: what one reduce at a time gives, one view', async () => {
	const fake = new FakeMetrics();
	const clock = new VirtualClock();
	const {poller} = setup(fake, {}, 100, {}, clock);
	// batchMs as the console sets it; a separate poller gives the one-at-a-time answer to compare with.
	const {poller: batched} = setup(fake, {}, 100, {batchMs: 20}, clock);
	poller.start();
	batched.start();
	const frames: Array<ReturnType<typeof batched.getSnapshot>> = [];
	const unsubscribe = batched.subscribe(() => frames.push(batched.getSnapshot()));
	let one: Awaited<ReturnType<Poller['settled']>> | undefined;
	let together: typeof one;
	void poller.settled().then(state => (one = state));
	void batched.settled().then(state => (together = state));
	await clock.advanceUntil('both settled', () => one !== undefined && together !== undefined, 2000);
	unsubscribe();
	poller.stop();
	batched.stop();
	const readings = (state: typeof one) => state!.view.members.map(member => [member.name, member.metrics?.reading?.walFsyncP99Ms, member.metrics?.error]);
	assert.deepEqual(readings(together), readings(one));
	assert.ok(readings(together).every(([, p99]) => typeof p99 === 'number'), 'every member read');
	// No frame showed a member's reading that the state had not taken in: frames are whole.
	for (const frame of frames) for (const member of frame.cluster.view.members) assert.equal(member.metrics, frame.cluster.metrics[member.endpoint ?? '']);
});

test('the console reads /metrics between polls: none before an interval and a half, then every --metrics-every half an interval after a poll, its answers in the next poll\'s frame', async () => {
	const fake = new FakeMetrics();
	const clock = new VirtualClock();
	const {poller} = setup(fake, {everyMs: 5000, windowMs: 30_000}, 1000, {batchMs: 25}, clock);
	const readAt: number[] = [];
	fake.onRead = () => readAt.push(clock.monotonic());
	const frames: number[] = [];
	const unsubscribe = poller.subscribe(() => frames.push(clock.monotonic()));
	poller.start();
	await clock.advance(1400);
	assert.deepEqual(readAt, [], 'no read while the console starts');
	await clock.advance(700);
	const members = cluster3.endpoints.length;
	assert.deepEqual(readAt, Array.from({length: members}, () => 1500), 'every member read at 1.5 intervals');
	assert.ok(poller.getSnapshot().cluster.view.members.every(member => member.metrics !== undefined), 'the poll at 2000 ms brought the readings to the screen');
	await clock.advance(10_000);
	unsubscribe();
	poller.stop();
	assert.deepEqual([...new Set(readAt)], [1500, 6500, 11_500], 'then every 5 s, half an interval after a poll');
	// One frame per poll: the readings rode with the polls' frames, none of their own.
	assert.deepEqual(frames.filter(at => at % 1000 !== 25), [], `frames at ${frames.join(', ')}`);
});
