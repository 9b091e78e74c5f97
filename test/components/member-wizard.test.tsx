import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {render} from 'ink-testing-library';
import {initialState} from '../../source/ops/member-workflow.js';
import {runOperation} from '../../source/ops/member-run.js';
import type {PollerSnapshot} from '../../source/poller/poller.js';
import {App} from '../../source/ui/app.js';
import type {ConsoleStore} from '../../source/ui/console-store.js';
import {buildKeymap} from '../../source/ui/keymap.js';
import type {MemberOpsBackend} from '../../source/ui/member-ops.js';
import {ClusterBuilder, t0} from '../helpers/cluster-builder.js';
import {FakeMembers} from '../helpers/fake-members.js';
import {cluster3} from '../helpers/fixtures.js';
import {frameWith, strip} from '../helpers/frames.js';
import {InputProbe, InputWatch} from '../helpers/input-ready.js';


function store(): ConsoleStore {
	const snapshot: PollerSnapshot = {cluster: new ClusterBuilder().list().allOk().state, intervalMs: 1000, isPaused: false};
	return {subscribe: () => () => {}, getSnapshot: () => snapshot, refresh: () => {}, setPaused: () => {}, setInterval: () => {}};
}

function mount(t: TestContext, {isReadOnly = false} = {}) {
	const members = new FakeMembers(cluster3.memberList.members.map(member => ({...member})), 2);
	const dead = cluster3.memberList.members[2]!;
	members.down.add(dead.id);
	const backend: MemberOpsBackend = {
		connection: {endpoints: cluster3.endpoints},
		waitTimeoutMs: 60_000,
		run: async (plan, handlers) => runOperation(initialState(plan), members.io({confirm: handlers.confirm, onState: handlers.onState, log: handlers.onLog, signal: handlers.signal})),
	};
	const watch = new InputWatch();
	const view = render(
		<InputProbe watch={watch}>
			<App store={store()} keymap={buildKeymap({isReadOnly})} isReadOnly={isReadOnly} onQuit={() => {}} now={() => t0 + 5000} memberOps={backend} />
		</InputProbe>,
	);
	watch.setFrames(view.frames);
	t.after(() => view.unmount());
	return {...view, members, dead, watch};
}

test('R walks a replacement: form, quorum numbers, typed name, then every step to done', async t => {
	const {lastFrame, stdin, members, dead, watch} = mount(t);
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-2');
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-3');
	stdin.write('R');
	// The wizard listens from its first effect, just after its first frame.
	await watch.readyAfter('Replace member etcd-3');
	stdin.write('\r');
	await frameWith(lastFrame, 'new member name is required');
	// One chunk, as a paste or tmux delivers it: the line ending still moves to the next field.
	stdin.write('etcd-4\r');
	stdin.write('10.0.0.4:2380\r');
	await frameWith(lastFrame, 'has no scheme');
	// Each backspace is its own key (a chunk of them would be text).
	for (let index = 0; index < '10.0.0.4:2380'.length; index++) stdin.write('\u007F');
	await frameWith(lastFrame, /> peer URL: _/);
	stdin.write('http://fake:4000\r');
	stdin.write('http://fake:4001\r');
	stdin.write('start-etcd\r');
	const confirm = await frameWith(lastFrame, 'type "etcd-3"');
	assert.match(confirm, /now 2\/3 voters reachable, quorum 2/);
	assert.match(confirm, /member remove/);
	assert.ok(confirm.includes(dead.id));
	assert.deepEqual(members.calls, [], 'nothing changes before the typed name');
	stdin.write('etcd-3\r');
	const done = await frameWith(lastFrame, /done: .*healthy voter/);
	assert.match(done, /command log/);
	assert.match(done, /member promote/);
	assert.equal(members.calls.length, 4);
	assert.match(members.calls.join(' '), /^remove \S+ add http:\/\/fake:4000 learner start etcd-4 promote \S+$/);
	stdin.write('\u001B');
	await frameWith(lastFrame, /^(?![\s\S]*Replace member)[\s\S]*> etcd-3/);
});

test('a wrong typed name cancels without a change', async t => {
	const {lastFrame, stdin, members, watch} = mount(t);
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-2');
	stdin.write('D');
	await frameWith(lastFrame, /refused: will not remove etcd-2/);
	await watch.readyAfter('Remove member etcd-2');
	assert.deepEqual(members.calls, []);
	stdin.write('\u001B');
	await frameWith(lastFrame, /^(?![\s\S]*Remove member)/);
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-3');
	stdin.write('D');
	await frameWith(lastFrame, 'type "etcd-3"');
	await watch.readyAfter('Remove member etcd-3');
	stdin.write('etcd-X\r');
	await frameWith(lastFrame, 'cancelled');
	assert.deepEqual(members.calls, []);
});

test('read-only: R, a, D and L do nothing and are not in the keymap', async t => {
	const {lastFrame, stdin, frames} = mount(t, {isReadOnly: true});
	await frameWith(lastFrame, ' RO');
	const drawn = frames.length;
	// Keys are handled in order: once the help overlay that '?' opens is drawn, R, a, D and L were handled.
	for (const key of ['R', 'a', 'D', 'L', '?']) stdin.write(key);
	await frameWith(lastFrame, 'help: every key');
	for (const frame of frames.slice(drawn)) assert.doesNotMatch(strip(frame), /Replace member|Remove member|Add member|Move leadership/);
	const ids = buildKeymap({isReadOnly: true}).map(action => action.id);
	for (const id of ['replace-member', 'add-member', 'remove-member', 'move-leader']) assert.ok(!ids.includes(id as never));
});

test('L moves leadership to the selected member without a typed name', async t => {
	const {lastFrame, stdin, members} = mount(t);
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-2');
	stdin.write('L');
	await frameWith(lastFrame, /done: etcd-2 .* leads/);
	assert.deepEqual(members.calls, [`move-leader ${cluster3.memberList.members[1]!.id}`]);
});
