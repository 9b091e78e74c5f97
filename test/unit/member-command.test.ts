import assert from 'node:assert/strict';
import {test} from 'node:test';
import {parseMemberCommand, type MemberFlags} from '../../source/commands/member.js';
import {ConfigError} from '../../source/config/errors.js';

const config = {endpoints: ['http://127.0.0.1:2379'], tls: undefined, auth: {username: 'root', password: 'secret'}};

test('member commands: bad input names the flag and the fix', () => {
	const cases: ReadonlyArray<[readonly string[], MemberFlags, string, RegExp]> = [
		[[], {}, 'member', /an action is needed/],
		[['explode', 'x'], {}, 'member', /unknown action "explode"/],
		[['replace'], {}, 'member replace', /FAILED member is missing/],
		[['replace', 'etcd-3'], {newPeerUrl: 'http://h:1'}, '--new-name', /is required/],
		[['replace', 'etcd-3'], {newName: 'etcd-4'}, '--new-peer-url', /is required/],
		[['replace', 'etcd-3'], {newName: 'etcd-4', newPeerUrl: 'h:1'}, '--new-peer-url', /has no scheme/],
		[['replace', 'etcd-3'], {newName: 'etcd-4', newPeerUrl: 'http://h:1', newClientUrl: 'http://h'}, '--new-client-url', /has no port/],
		[['replace', 'etcd-3'], {newName: 'etcd-4', newPeerUrl: 'http://h:1', waitTimeout: '10'}, '--wait-timeout', /not a duration/],
		[['replace', 'etcd-3'], {newName: 'etcd-4', newPeerUrl: 'http://h:1', startCommand: ' '}, '--start-command', /is empty/],
		[['add', 'etcd-4'], {}, '--peer-url', /is required/],
		[['remove', 'etcd-4', 'extra'], {}, 'member remove', /unexpected argument "extra"/],
	];
	for (const [args, flags, input, problem] of cases) {
		assert.throws(
			() => parseMemberCommand(args, flags, config),
			(error: unknown) => error instanceof ConfigError && error.input === input && problem.test(error.problem),
			`${args.join(' ')} ${JSON.stringify(flags)}`,
		);
	}
});

test('member commands: defaults (replace adds a learner, add a voter), and no password in the etcdctl base', () => {
	const replace = parseMemberCommand(['replace', 'etcd-3'], {newName: 'etcd-4', newPeerUrl: 'HTTP://10.0.0.4:2380/', yes: true}, config);
	assert.equal(replace.isLearner, true);
	assert.equal(replace.isPreConfirmed, true);
	assert.deepEqual(replace.newPeerUrls, ['http://10.0.0.4:2380']);
	assert.deepEqual(replace.connection, {endpoints: ['http://127.0.0.1:2379'], user: 'root'});
	assert.equal(parseMemberCommand(['replace', 'etcd-3'], {newName: 'etcd-4', newPeerUrl: 'http://h:1', learner: false}, config).isLearner, false);
	assert.equal(parseMemberCommand(['add', 'etcd-4'], {peerUrl: 'http://h:1'}, config).isLearner, false);
	assert.equal(parseMemberCommand(['add', 'etcd-4'], {peerUrl: 'http://h:1', learner: true}, config).isLearner, true);
	assert.equal(parseMemberCommand(['remove', 'etcd-4'], {}, config).waitTimeoutMs, 300_000);
});
