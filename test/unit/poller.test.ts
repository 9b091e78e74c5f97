import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Poller, type StatusSource} from '../../source/poller/poller.js';
import {cluster3} from '../helpers/fixtures.js';
import {VirtualClock} from '../helpers/virtual-clock.js';

// The poller runs on a virtual clock: intervals, deadlines and batches are stepped through exactly,
// so these tests say how many milliseconds things take without sleeping or depending on the machine.

/** A member that answers from the fixture after 2 ms, or hangs until the caller's deadline like a SIGSTOPped etcd. */
class FakeMember implements StatusSource {
	calls = 0;
	inFlight = 0;
	maxInFlight = 0;
	isHung = false;
	/** As etcd serves a learner: Status yes, MemberList refused. */
	isLearner = false;
	/** Cut off from the others: its Status carries etcd's "no leader" error; it still answers what it last knew. */
	isLeaderless = false;
	memberListCalls = 0;
	constructor(
		private readonly index: number,
		private readonly clock: VirtualClock,
	) {}

	private async answer<T>(value: T, timeoutMs: number): Promise<T> {
		this.calls++;
		this.inFlight++;
		this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
		try {
			if (this.isHung) {
				await this.clock.sleep(timeoutMs);
				throw new Error(`4 DEADLINE_EXCEEDED: Deadline exceeded after ${timeoutMs / 1000}s`);
			}
			await this.clock.sleep(2);
			return value;
		} finally {
			this.inFlight--;
		}
	}

	async status(timeoutMs: number) {
		const status = cluster3.statuses[this.index]!;
		return this.answer({...status, ...(this.isLearner ? {isLearner: true} : {}), ...(this.isLeaderless ? {errors: ['etcdserver: no leader']} : {})}, timeoutMs);
	}

	async memberList(timeoutMs: number) {
		this.memberListCalls++;
		const list = await this.answer(cluster3.memberList, timeoutMs);
		if (this.isLearner) throw Object.assign(new Error('14 UNAVAILABLE: etcdserver: rpc not supported for learner'), {code: 14});
		return list;
	}

	close() {}
}

function setup(intervalMs: number, probeTimeoutMs: number, batchMs = 0, endpoints = [cluster3.endpoints[0]!]) {
	const clock = new VirtualClock();
	const fakes = new Map(cluster3.endpoints.map((endpoint, index) => [endpoint, new FakeMember(index, clock)]));
	const poller = new Poller(
		{endpoints, isDiscovering: true, intervalMs, probeTimeoutMs},
		{routes: {client: endpoint => fakes.get(endpoint)!}, batchMs, timers: clock, now: clock.wall},
	);
	const probeOf = (index: number) => poller.getSnapshot().cluster.probes[cluster3.endpoints[index]!];
	return {poller, fakes, clock, probeOf};
}

test('discovers every member from one endpoint and settles after one round', async () => {
	const {poller, clock} = setup(1000, 500);
	poller.start();
	let settled: Awaited<ReturnType<Poller['settled']>> | undefined;
	void poller.settled().then(state => (settled = state));
	await clock.advanceUntil('settled', () => settled !== undefined, 50);
	poller.stop();
	assert.equal(settled!.view.members.length, 3);
	assert.equal(settled!.view.health, 'healthy');
	assert.equal(settled!.updatedAt, clock.wall(), 'observations carry the injected wall clock');
});

test('a hung member delays nobody else, and its probes never pile up', async () => {
	const {poller, fakes, clock, probeOf} = setup(50, 400);
	const hung = fakes.get(cluster3.endpoints[1]!)!;
	hung.isHung = true;
	poller.start();
	await clock.advance(1200);
	const {view} = poller.getSnapshot().cluster;
	poller.stop();
	const healthy = fakes.get(cluster3.endpoints[2]!)!;
	// Polls and checks every 25 ms for 1.2 s: about 48 calls; the hung one waits 400 ms per call.
	assert.ok(healthy.calls >= 40, `healthy member probed ${healthy.calls} times`);
	assert.ok(hung.calls <= 5, `hung member probed ${hung.calls} times`);
	for (const fake of fakes.values()) assert.equal(fake.maxInFlight <= 2, true, 'status and member list at most once each in flight');
	assert.equal(probeOf(1)?.state, 'unreachable');
	const hungRow = view.members.find(member => member.endpoint === cluster3.endpoints[1]);
	assert.equal(hungRow?.health, 'unreachable');
	assert.equal(hungRow?.failure?.kind, 'timeout');
	assert.equal(view.health, 'degraded');
});

test('a member that answers as a learner is not asked for the member list (etcd refuses it: Status and serializable reads only)', async () => {
	const {poller, fakes, clock, probeOf} = setup(50, 100, 0, [...cluster3.endpoints]);
	const learner = fakes.get(cluster3.endpoints[2]!)!;
	learner.isLearner = true;
	poller.start();
	await clock.advanceUntil('the learner answered a status', () => probeOf(2)?.state === 'ok', 50);
	for (const fake of fakes.values()) fake.memberListCalls = 0;
	// Both voters hang: the member that gave the list does not answer, so discovery asks every other endpoint.
	fakes.get(cluster3.endpoints[0]!)!.isHung = true;
	fakes.get(cluster3.endpoints[1]!)!.isHung = true;
	await clock.advance(2000);
	poller.stop();
	assert.ok(fakes.get(cluster3.endpoints[1]!)!.memberListCalls > 0, 'the voters were asked again');
	assert.equal(learner.memberListCalls, 0, 'the learner was never asked');
	assert.equal(poller.getSnapshot().cluster.memberListFailure?.kind, 'timeout', 'the voters\' silence is the failure, not a learner\'s refusal');
});

test('a member that reports no leader is not asked for the member list while another answers (its list may be stale)', async () => {
	const {poller, fakes, clock, probeOf} = setup(50, 100, 0, [...cluster3.endpoints]);
	poller.start();
	await clock.advanceUntil('every member answered', () => [0, 1, 2].every(index => probeOf(index)?.state === 'ok'), 50);
	for (const fake of fakes.values()) {
		fake.isLeaderless = true;
		fake.memberListCalls = 0;
	}
	// Only etcd-3 still has a leader: every discovery from now on asks it alone.
	fakes.get(cluster3.endpoints[2]!)!.isLeaderless = false;
	await clock.advance(200);
	for (const fake of fakes.values()) fake.memberListCalls = 0;
	await clock.advance(2000);
	poller.stop();
	assert.ok(fakes.get(cluster3.endpoints[2]!)!.memberListCalls > 0);
	assert.equal(fakes.get(cluster3.endpoints[0]!)!.memberListCalls + fakes.get(cluster3.endpoints[1]!)!.memberListCalls, 0);
	assert.equal(poller.getSnapshot().cluster.memberListFrom, cluster3.endpoints[2]);
});

test('pause stops probing; refresh probes at once', async () => {
	const {poller, fakes, clock} = setup(50, 400);
	poller.start();
	await clock.advance(100);
	poller.setPaused(true);
	await clock.advance(100);
	const before = [...fakes.values()].map(fake => fake.calls);
	await clock.advance(300);
	assert.deepEqual([...fakes.values()].map(fake => fake.calls), before, 'no call while paused');
	assert.equal(poller.getSnapshot().isPaused, true);
	poller.refresh();
	await clock.advance(0);
	assert.ok([...fakes.values()].some((fake, index) => fake.calls > before[index]!), 'refresh asks at once, without time passing');
	poller.stop();
});

test('a member that hangs just after a poll reads "timeout" within probe-timeout + half an interval', async () => {
	const {poller, fakes, clock, probeOf} = setup(1000, 300);
	poller.start();
	await clock.advanceUntil('first answer', () => probeOf(1)?.state === 'ok', 50);
	// Hang right after an answer was published: the worst moment, a whole interval before the next poll.
	fakes.get(cluster3.endpoints[1]!)!.isHung = true;
	const detectedMs = await clock.advanceUntil('timeout shown', () => probeOf(1)?.state === 'unreachable', 2000);
	poller.stop();
	// The check half an interval on (500 ms) times out 300 ms later; the next poll would take until 1300.
	assert.ok(detectedMs <= 800 && detectedMs >= 700, `shown as timeout after ${detectedMs} ms`);
});

test('checks between polls publish nothing while members answer', async () => {
	const {poller, fakes, clock} = setup(200, 150);
	const member = fakes.get(cluster3.endpoints[2]!)!;
	const published = new Set<unknown>();
	poller.subscribe(() => published.add(poller.getSnapshot().cluster.probes[cluster3.endpoints[2]!]));
	poller.start();
	await clock.advance(2000);
	poller.stop();
	// Ten polls and ten checks: only the polls' answers are published.
	assert.ok(member.calls >= 19, `asked ${member.calls} times`);
	assert.ok(published.size <= member.calls / 2 + 2, `${published.size} answers published of ${member.calls}`);
});

test('answers are published in batches, but a member going down at once', async () => {
	const {poller, fakes, clock, probeOf} = setup(200, 100, 600);
	let publishedAt: number[] = [];
	poller.subscribe(() => publishedAt.push(clock.monotonic()));
	poller.start();
	await clock.advanceUntil('first batch', () => probeOf(1)?.state === 'ok', 1000);
	assert.ok(publishedAt.at(-1)! >= 600, 'answers wait for their batch');
	publishedAt = [];
	fakes.get(cluster3.endpoints[1]!)!.isHung = true;
	const shownMs = await clock.advanceUntil('down shown', () => probeOf(1)?.state === 'unreachable', 2000);
	poller.stop();
	// At most half an interval to the next call and its 100 ms deadline; a batch would add 600 ms.
	assert.ok(shownMs <= 200, `published ${shownMs} ms after the member hung`);
});
