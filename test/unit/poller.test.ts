import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Poller, type StatusSource} from '../../source/poller/poller.js';
import {cluster3} from '../helpers/fixtures.js';

/** A member that answers from the fixture, or hangs until the caller's deadline like a SIGSTOPped etcd. */
class FakeMember implements StatusSource {
	calls = 0;
	inFlight = 0;
	maxInFlight = 0;
	isHung = false;
	constructor(private readonly index: number) {}

	private async answer<T>(value: T, timeoutMs: number): Promise<T> {
		this.calls++;
		this.inFlight++;
		this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
		try {
			if (this.isHung) {
				await new Promise(resolve => setTimeout(resolve, timeoutMs));
				throw new Error(`4 DEADLINE_EXCEEDED: Deadline exceeded after ${timeoutMs / 1000}s`);
			}
			await new Promise(resolve => setTimeout(resolve, 2));
			return value;
		} finally {
			this.inFlight--;
		}
	}

	async status(timeoutMs: number) {
		return this.answer(cluster3.statuses[this.index]!, timeoutMs);
	}

	async memberList(timeoutMs: number) {
		return this.answer(cluster3.memberList, timeoutMs);
	}

	close() {}
}

function setup(intervalMs: number, probeTimeoutMs: number, batchMs = 0) {
	const fakes = new Map(cluster3.endpoints.map((endpoint, index) => [endpoint, new FakeMember(index)]));
	const poller = new Poller(
		{endpoints: [cluster3.endpoints[0]!], isDiscovering: true, intervalMs, probeTimeoutMs},
		{routes: {client: endpoint => fakes.get(endpoint)!}, batchMs},
	);
	return {poller, fakes};
}

test('discovers every member from one endpoint and settles after one round', async () => {
	const {poller} = setup(1000, 500);
	poller.start();
	const state = await poller.settled();
	poller.stop();
	assert.equal(state.view.members.length, 3);
	assert.equal(state.view.health, 'healthy');
});

test('a hung member delays nobody else, and its probes never pile up', async () => {
	const {poller, fakes} = setup(50, 400);
	const hung = fakes.get(cluster3.endpoints[1]!)!;
	hung.isHung = true;
	poller.start();
	await new Promise(resolve => setTimeout(resolve, 1200));
	const {view} = poller.getSnapshot().cluster;
	poller.stop();
	const healthy = fakes.get(cluster3.endpoints[2]!)!;
	assert.ok(healthy.calls >= 8, `healthy member probed ${healthy.calls} times`);
	assert.ok(hung.calls <= 6, `hung member probed ${hung.calls} times`);
	for (const fake of fakes.values()) assert.equal(fake.maxInFlight <= 2, true, 'status and member list at most once each in flight');
	const hungRow = view.members.find(member => member.endpoint === cluster3.endpoints[1]);
	assert.equal(hungRow?.health, 'unreachable');
	assert.equal(hungRow?.failure?.kind, 'timeout');
	assert.equal(view.health, 'degraded');
});

test('pause stops probing; refresh probes at once', async () => {
	const {poller, fakes} = setup(50, 400);
	poller.start();
	await poller.settled();
	poller.setPaused(true);
	await new Promise(resolve => setTimeout(resolve, 100));
	const before = [...fakes.values()].map(fake => fake.calls);
	await new Promise(resolve => setTimeout(resolve, 300));
	const after = [...fakes.values()].map(fake => fake.calls);
	assert.deepEqual(after, before);
	assert.equal(poller.getSnapshot().isPaused, true);
	poller.refresh();
	await new Promise(resolve => setTimeout(resolve, 50));
	assert.ok([...fakes.values()].some((fake, index) => fake.calls > before[index]!));
	poller.stop();
});

test('a member that hangs just after a poll reads "timeout" within probe-timeout + half an interval', async () => {
	const {poller, fakes} = setup(1000, 300);
	const victim = fakes.get(cluster3.endpoints[1]!)!;
	const probeOf = () => poller.getSnapshot().cluster.probes[cluster3.endpoints[1]!];
	poller.start();
	await poller.settled();
	// Hang right after an answer was published: the worst moment, a whole interval before the next poll.
	const answered = probeOf()?.state === 'ok' ? probeOf()! : undefined;
	await new Promise<void>(resolve => {
		const unsubscribe = poller.subscribe(() => {
			const probe = probeOf();
			if (probe?.state === 'ok' && probe !== answered) {
				unsubscribe();
				resolve();
			}
		});
	});
	victim.isHung = true;
	const hungAt = performance.now();
	await new Promise<void>(resolve => {
		const unsubscribe = poller.subscribe(() => {
			if (probeOf()?.state !== 'unreachable') return;
			unsubscribe();
			resolve();
		});
	});
	const detectedMs = performance.now() - hungAt;
	poller.stop();
	// The check half an interval on (500 ms) times out 300 ms later; the next poll would take until 1300.
	assert.ok(detectedMs < 1000, `shown as timeout after ${detectedMs.toFixed(0)} ms`);
});

test('checks between polls publish nothing while members answer', async () => {
	const {poller, fakes} = setup(200, 150);
	const member = fakes.get(cluster3.endpoints[2]!)!;
	const published = new Set<unknown>();
	poller.subscribe(() => published.add(poller.getSnapshot().cluster.probes[cluster3.endpoints[2]!]));
	poller.start();
	await new Promise(resolve => setTimeout(resolve, 2100));
	poller.stop();
	// About ten polls and ten checks: only the polls' answers are published.
	assert.ok(member.calls >= 16, `asked ${member.calls} times`);
	assert.ok(published.size <= member.calls / 2 + 2, `${published.size} answers published of ${member.calls}`);
});

test('answers are published in batches, but a member going down at once', async () => {
	const {poller, fakes} = setup(200, 100, 600);
	poller.start();
	await poller.settled();
	fakes.get(cluster3.endpoints[1]!)!.isHung = true;
	const hungAt = performance.now();
	await new Promise<void>(resolve => {
		const unsubscribe = poller.subscribe(() => {
			if (poller.getSnapshot().cluster.probes[cluster3.endpoints[1]!]?.state !== 'unreachable') return;
			unsubscribe();
			resolve();
		});
	});
	const shownMs = performance.now() - hungAt;
	poller.stop();
	// At most half an interval to the next call and its 100 ms deadline; a batch would add 600 ms.
	assert.ok(shownMs < 450, `published ${shownMs.toFixed(0)} ms after the member hung`);
});
