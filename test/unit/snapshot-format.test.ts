import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {parseStatusFormat} from '../../source/commands/snapshot-status.js';
import {humanBytes} from '../../source/model/format.js';
import {renderTable} from '../../source/output/table.js';
import {ConfigError} from '../../source/config/errors.js';
import type {EndpointStatus, MemberInfo} from '../../source/etcd/types.js';
import {chooseSourceMember, type EndpointProbe} from '../../source/snapshot/source-member.js';

describe('humanBytes (go-humanize Bytes, as etcdctl prints TOTAL SIZE)', () => {
	const cases: ReadonlyArray<readonly [number, string]> = [
		[0, '0 B'],
		[9, '9 B'],
		[10, '10 B'],
		[999, '999 B'],
		[1000, '1.0 kB'],
		[24_576, '25 kB'],
		[9_949, '9.9 kB'],
		[9_950, '10 kB'],
		[82_854_982, '83 MB'],
		[2_147_483_648, '2.1 GB'],
		[268_435_456, '268 MB'],
		// Go's %.0f rounds a half to even: 106.5 kB prints as 106, as etcdctl shows it.
		[106_496, '106 kB'],
		[107_520, '108 kB'],
	];
	for (const [bytes, text] of cases) it(`${bytes} -> ${text}`, () => assert.equal(humanBytes(bytes), text));
});

describe('renderTable', () => {
	it('draws etcdctl’s table', () => {
		assert.equal(
			renderTable(['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'], [['b44c64e1', '51', '54', '25 kB']]),
			[
				'+----------+----------+------------+------------+',
				'|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |',
				'+----------+----------+------------+------------+',
				'| b44c64e1 |       51 |         54 |      25 kB |',
				'+----------+----------+------------+------------+',
				'',
			].join('\n'),
		);
	});
});

describe('parseStatusFormat', () => {
	it('defaults to table and rejects unknown formats as a usage error', () => {
		assert.equal(parseStatusFormat(undefined), 'table');
		assert.equal(parseStatusFormat('json'), 'json');
		assert.throws(() => parseStatusFormat('yaml'), ConfigError);
	});
});

function member(name: string, id: string, isLearner = false): MemberInfo {
	return {name, id, peerUrls: [`http://127.0.0.1:1${id}`], clientUrls: [`http://127.0.0.1:2${id}`], isLearner};
}

function probe(m: MemberInfo, applied: number | undefined, leader = 'a1'): EndpointProbe {
	if (applied === undefined) return {endpoint: m.clientUrls[0]!, status: undefined, failure: 'timeout: deadline exceeded'};
	const status: EndpointStatus = {
		clusterId: 'c',
		memberId: m.id,
		revision: 1,
		raftTerm: 2,
		version: '3.4.23',
		dbSize: 1,
		dbSizeInUse: 1,
		leader,
		raftIndex: applied,
		raftAppliedIndex: applied,
		errors: [],
		alarms: [],
		isLearner: m.isLearner,
	};
	return {endpoint: m.clientUrls[0]!, status, failure: undefined};
}

describe('chooseSourceMember', () => {
	const a = member('etcd-1', 'a1');
	const b = member('etcd-2', 'b2');
	const c = member('etcd-3', 'c3');
	const learner = member('etcd-4', 'd4', true);
	const members = [a, b, c, learner];

	it('picks the reachable voter with the highest applied index', () => {
		const choice = chooseSourceMember(members, [probe(a, 10), probe(b, 12), probe(c, undefined), probe(learner, 99)]);
		assert.equal(choice.kind === 'chosen' && choice.member.name, 'etcd-2');
	});

	it('prefers a follower to the leader on a tie, then the name', () => {
		const choice = chooseSourceMember(members, [probe(a, 12), probe(b, 12), probe(c, 12)]);
		assert.equal(choice.kind === 'chosen' && choice.member.name, 'etcd-2');
	});

	it('honours --from by name or by hex ID, in any case and with 0x', () => {
		for (const from of ['etcd-3', 'c3', 'C3', '0xc3', '00c3']) {
			const choice = chooseSourceMember(members, [probe(a, 12), probe(c, 5)], from);
			assert.equal(choice.kind === 'chosen' && choice.member.name, 'etcd-3', from);
		}
	});

	it('says when --from names nobody, or a member that does not answer', () => {
		assert.equal(chooseSourceMember(members, [probe(a, 1)], 'etcd-9').kind, 'unknown-member');
		const choice = chooseSourceMember(members, [probe(a, 1), probe(c, undefined)], 'etcd-3');
		assert.equal(choice.kind, 'unreachable');
		assert.match(choice.kind === 'unreachable' ? choice.failures.join() : '', /deadline exceeded/);
	});

	it('finds no source when only learners answer', () => {
		assert.equal(chooseSourceMember(members, [probe(learner, 50), probe(a, undefined)]).kind, 'none-reachable');
	});
});
