import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import type {RangePage, RangePageRequest} from '../../source/etcd/maintenance.js';
import {defragDeadlineMs, prefixRangeEnd} from '../../source/etcd/maintenance.js';
import {scanRange} from '../../source/etcd/range-scan.js';
import type {EndpointStatus, MemberInfo} from '../../source/etcd/types.js';
import {groupOf, UsageTally} from '../../source/model/usage.js';
import {checkConsistency, judge, type MemberHash} from '../../source/ops/consistency.js';
import {compactTo} from '../../source/ops/maintenance-run.js';
import type {Observation} from '../../source/ops/member-workflow.js';
import {keyValueSizes} from '../../source/snapshot/inspect.js';

const members: MemberInfo[] = ['a1', 'b2', 'c3'].map((id, index) => ({id, name: `etcd-${index + 1}`, peerUrls: [], clientUrls: [`http://10.0.0.${index + 1}:2379`], isLearner: false}));
const learner: MemberInfo = {id: 'd4', name: 'etcd-4', peerUrls: [], clientUrls: ['http://10.0.0.4:2379'], isLearner: true};

function observation(revisions: Record<string, number | undefined>, list: readonly MemberInfo[] = members): Observation {
	const statuses: Record<string, EndpointStatus> = {};
	const failures: Record<string, string> = {};
	for (const member of list) {
		const revision = revisions[member.id];
		if (revision === undefined) failures[member.id] = 'timeout: Deadline exceeded';
		else statuses[member.id] = {clusterId: 'ff', memberId: member.id, revision, raftTerm: 2, version: '3.4.23', dbSize: 1000, dbSizeInUse: 1000, leader: 'a1', raftIndex: 9, raftAppliedIndex: 9, errors: [], alarms: [], isLearner: member.isLearner};
	}
	return {at: 0, members: list, statuses, failures};
}

const hash = (id: string, value: number, compactRevision = 5): MemberHash => ({id, name: id, endpoint: '', hash: value, compactRevision, revision: 50, failure: undefined});

describe('check consistency', () => {
	it('is consistent when every hash agrees, and names a minority when one differs', () => {
		assert.equal((judge(40, [hash('a', 1), hash('b', 1), hash('c', 1)], []) as {type: string}).type, 'consistent');
		const diverged = judge(40, [hash('a', 1), hash('b', 2), hash('c', 1)], []);
		assert.equal((diverged as {type: string}).type, 'diverged');
		assert.deepEqual((diverged as {minority: readonly string[]}).minority, ['b']);
	});

	it('compares only when compact revisions agree; otherwise asks again', () => {
		assert.equal(judge(40, [hash('a', 1, 5), hash('b', 2, 9), hash('c', 1, 5)], []), 'again');
		assert.equal(judge(40, [hash('a', 1), {...hash('b', 1), hash: undefined, failure: 'compacted: etcdserver: mvcc: required revision has been compacted', failureKind: 'compacted'}], []), 'at-current');
		// at "current", the members must have hashed the same revision
		assert.equal(judge(0, [hash('a', 1), {...hash('b', 1), revision: 51}], []), 'again');
		assert.deepEqual((judge(0, [hash('a', 1), hash('b', 1)], []) as {revision: number}).revision, 50);
	});

	it('asks every voter at the lowest revision they all hold, never a learner', async () => {
		const asked: Array<[string, number]> = [];
		const verdict = await checkConsistency({
			observe: async () => observation({a1: 52, b2: 50, c3: 51, d4: 49}, [...members, learner]),
			hashKv: async (endpoint, revision) => {
				asked.push([endpoint, revision]);
				return {memberId: endpoint, hash: 7, compactRevision: 3, revision: 52, hashRevision: 0};
			},
		});
		assert.equal(verdict.type, 'consistent');
		assert.equal(verdict.revision, 50);
		assert.deepEqual(asked.map(([, revision]) => revision), [50, 50, 50]);
		assert.ok(!asked.some(([endpoint]) => endpoint.includes('10.0.0.4')));
		assert.match(verdict.skipped[0]!, /etcd-4: learner/);
	});

	it('retries when a compaction races the check, and gives up after three rounds', async () => {
		let round = 0;
		const verdict = await checkConsistency({
			observe: async () => observation({a1: 50, b2: 50, c3: 50}),
			hashKv: async endpoint => ({memberId: endpoint, hash: 7, compactRevision: endpoint.includes('.1:') ? round++ : 100, revision: 50, hashRevision: 0}),
		});
		assert.equal(verdict.type, 'incomplete');
		assert.match((verdict as {message: string}).message, /compactions kept changing/);
	});

	it('compacted at the current revision, it hashes at "current" and compares same-revision answers', async () => {
		const asked: number[] = [];
		const verdict = await checkConsistency({
			observe: async () => observation({a1: 38, b2: 38, c3: 38}),
			hashKv: async (endpoint, revision) => {
				asked.push(revision);
				// What etcd3 raises against etcd 3.4.23 and 3.5.30 (a GRPCOutOfRangeError, without a code property).
				if (revision !== 0) throw new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted');
				return {memberId: endpoint, hash: 9, compactRevision: 38, revision: 38, hashRevision: 0};
			},
		});
		assert.equal(verdict.type, 'consistent');
		assert.equal(verdict.revision, 38);
		assert.deepEqual(asked, [38, 38, 38, 0, 0, 0]);
	});

	it('"compacted" is decided by the failure\'s kind (OUT_OF_RANGE + ErrCompacted), never by a word in its text', async () => {
		const asked: number[] = [];
		const verdict = await checkConsistency({
			observe: async () => observation({a1: 50, b2: 50, c3: 50}),
			hashKv: async (endpoint, revision) => {
				asked.push(revision);
				// A member whose address says "compacted", and a future revision (OUT_OF_RANGE too): failures, not a compaction.
				if (endpoint.includes('.2:')) throw new Error('14 UNAVAILABLE: No connection established. Last error: getaddrinfo ENOTFOUND compacted-2.example');
				if (endpoint.includes('.3:')) throw new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision');
				return {memberId: endpoint, hash: 9, compactRevision: 5, revision: 50, hashRevision: 0};
			},
		});
		assert.equal(verdict.type, 'incomplete');
		assert.match((verdict as {message: string}).message, /^no hash from etcd-2: dns: .*compacted-2\.example; etcd-3: error: etcdserver: mvcc: required revision is a future revision$/);
		assert.deepEqual(asked, [50, 50, 50], 'one round: nothing to re-ask at "current"');
	});

	it('a compaction already at the revision is no failure of the compaction step; anything else is', async () => {
		const compactedBefore = {compact: async () => Promise.reject(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted'))};
		assert.deepEqual(await compactTo(compactedBefore, 40, 1000), {type: 'compacted', revision: 40, isAlreadyCompacted: true});
		const lost = {compact: async () => Promise.reject(new Error('14 UNAVAILABLE: No connection established. Last error: getaddrinfo ENOTFOUND compacted-2.example'))};
		await assert.rejects(compactTo(lost, 40, 1000), /ENOTFOUND compacted-2/);
	});

	it('an unreachable voter makes the check incomplete, without asking anyone', async () => {
		let calls = 0;
		const verdict = await checkConsistency({
			observe: async () => observation({a1: 50, b2: undefined, c3: 50}),
			hashKv: async () => {
				calls++;
				throw new Error('not reached');
			},
		});
		assert.equal(verdict.type, 'incomplete');
		assert.match((verdict as {message: string}).message, /etcd-2 does not answer \(timeout/);
		assert.equal(calls, 0);
	});
});

describe('usage by prefix', () => {
	it('groups by the first N segments, never the whole key', () => {
		assert.equal(groupOf('/registry/pods/default/web-1', 3), '/registry/pods/default/');
		assert.equal(groupOf('/registry/nodes/node-1', 3), '/registry/nodes/');
		assert.equal(groupOf('/registry/pods/default/web-1', 1), '/registry/');
		assert.equal(groupOf('/top', 3), '/');
		assert.equal(groupOf('plain', 3), '');
		assert.equal(groupOf('a/b/c', 1), 'a/');
		assert.equal(groupOf('/a//b', 3), '/a//');
	});

	it('bounds the number of groups, the rest summed in one row', () => {
		const tally = new UsageTally(1, 3);
		for (let index = 0; index < 10; index++) tally.addKey(`/g${index}/k`, 5, 10);
		const rows = tally.rows(false);
		assert.equal(rows.length, 4);
		assert.ok(tally.isTruncated);
		assert.deepEqual(rows.find(row => row.prefix === '(other prefixes)'), {prefix: '(other prefixes)', keys: 7, keyBytes: 35, valueBytes: 70});
	});

	it('shows binary keys as text, grouped byte for byte', () => {
		const tally = new UsageTally(2);
		tally.addKey(Buffer.from('/ünï/x/y').toString('latin1'), 9, 1);
		assert.equal(tally.rows(false)[0]!.prefix, '/ünï/x/');
	});
});

describe('snapshot records', () => {
	it('reads the key and the value size of a stored KeyValue', () => {
		// key "/a" (field 1), create_revision 2, mod_revision 3, version 1, value "hello" (field 5), lease 0
		const record = Buffer.from([0x0a, 2, 0x2f, 0x61, 0x10, 2, 0x18, 3, 0x20, 1, 0x2a, 5, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
		const sizes = keyValueSizes(record)!;
		assert.equal(sizes.key.toString(), '/a');
		assert.equal(sizes.valueSize, 5);
		assert.equal(keyValueSizes(Buffer.from([0x0a, 10, 1])), undefined);
		// Only the first bytes of a record whose value runs on: the size comes from the length prefix.
		const head = Buffer.from([0x0a, 2, 0x2f, 0x62, 0x10, 2, 0x18, 3, 0x20, 1, 0x2a, 0xa0, 0x8d, 0x06, 0x78, 0x78]);
		assert.deepEqual({key: keyValueSizes(head, 100_014)!.key.toString(), size: keyValueSizes(head, 100_014)!.valueSize}, {key: '/b', size: 100_000});
		assert.equal(keyValueSizes(head), undefined);
		assert.equal(keyValueSizes(Buffer.from([0x0b])), undefined);
	});
});

describe('paged range reads', () => {
	const keys = Array.from({length: 2500}, (_, index) => `/k/${String(index).padStart(5, '0')}`).map(key => Buffer.from(key));

	function fakeRange(tooLargeAbove = Number.POSITIVE_INFINITY) {
		const requests: RangePageRequest[] = [];
		const rangePage = async (request: RangePageRequest): Promise<RangePage> => {
			requests.push(request);
			if (request.limit > tooLargeAbove) throw Object.assign(new Error('8 RESOURCE_EXHAUSTED: Received message larger than max (5000000 vs. 4194304)'), {code: 8});
			const from = keys.findIndex(key => Buffer.compare(key, request.key) >= 0);
			const inRange = keys.slice(from === -1 ? keys.length : from).filter(key => (request.rangeEnd.length === 1 && request.rangeEnd[0] === 0) || Buffer.compare(key, request.rangeEnd) < 0);
			const page = inRange.slice(0, request.limit);
			return {entries: page.map(key => ({key, valueSize: 1000, modRevision: 1})), isMore: inRange.length > page.length, count: inRange.length, revision: 77};
		};
		return {rangePage, requests};
	}

	it('reads every key once, in bounded pages, at the first page\'s revision, serializable', async () => {
		const {rangePage, requests} = fakeRange();
		let seen = 0;
		let total = 0;
		for await (const page of scanRange(rangePage, {prefix: Buffer.from('/k/'), isKeysOnly: false, timeoutMs: 1000, targetPageBytes: 100_000})) {
			seen += page.entries.length;
			total = page.total;
			assert.ok(page.entries.length <= 500);
		}
		assert.equal(seen, 2500);
		assert.equal(total, 2500);
		assert.ok(requests.every(request => request.isSerializable));
		assert.deepEqual([...new Set(requests.slice(1).map(request => request.revision))], [77]);
		assert.ok(requests.length > 5, 'pages shrank to ~100 kB');
	});

	it('halves a page etcd\'s answer was too large for', async () => {
		const {rangePage, requests} = fakeRange(120);
		let seen = 0;
		for await (const page of scanRange(rangePage, {prefix: Buffer.alloc(0), isKeysOnly: false, timeoutMs: 1000})) seen += page.entries.length;
		assert.equal(seen, 2500);
		assert.deepEqual(requests.slice(0, 4).map(request => request.limit), [500, 250, 125, 62]);
	});

	it('prefix range ends follow etcd', () => {
		assert.deepEqual(prefixRangeEnd(Buffer.from('/a')), Buffer.from('/b'));
		assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff])), Buffer.from('b'));
		assert.deepEqual(prefixRangeEnd(Buffer.from([0xff])), Buffer.from([0]));
	});

	it('a defrag deadline grows with the database and is never etcdctl\'s 5 s', () => {
		assert.ok(defragDeadlineMs(0) >= 60_000);
		assert.ok(defragDeadlineMs(8 * 1024 ** 3) > 10 * 60_000);
	});
});
