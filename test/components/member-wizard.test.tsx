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
import {frameWith, strip, waitUntil} from '../helpers/frames.js';
import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {copyableFeed} from '../../source/ops/member-settings.js';
import {writeSettingsFile} from '../../source/output/settings-file.js';
import {CommandLog} from '../../source/ui/command-log.js';
import {InputProbe, InputWatch} from '../helpers/input-ready.js';


function store(named: string[] = []): ConsoleStore {
	const snapshot: PollerSnapshot = {cluster: new ClusterBuilder().list().allOk().state, intervalMs: 1000, isPaused: false};
	return {subscribe: () => () => {}, getSnapshot: () => snapshot, refresh: () => {}, setPaused: () => {}, setInterval: () => {}, nameMember: (id, name) => named.push(`${id} ${name}`)};
}

function mount(t: TestContext, {isReadOnly = false, isEtcd3Down = true, isWaitingForReal = false, columns = 100} = {}) {
	const members = new FakeMembers(cluster3.memberList.members.map(member => ({...member})), 2);
	const dead = cluster3.memberList.members[2]!;
	if (isEtcd3Down) members.down.add(dead.id);
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-wizard-test-'));
	t.after(() => rmSync(dir, {recursive: true, force: true}));
	const commandLog = new CommandLog();
	const named: string[] = [];
	const backend: MemberOpsBackend = {
		connection: {endpoints: cluster3.endpoints},
		waitTimeoutMs: 60_000,
		writeSettings: (lines, name) => writeSettingsFile(lines, name, {dirs: [dir]}),
		run: async (plan, handlers) => {
			const feed = copyableFeed(undefined, lines => {
				for (const text of lines) commandLog.append({at: t0 + 6000, severity: 'info', text: `settings: ${text}`, isWhole: true});
			});
			return runOperation(
				initialState(plan),
				members.io({
					confirm: handlers.confirm,
					onState: state => {
						handlers.onState(state);
						feed(state);
					},
					log: entry => {
						handlers.onLog(entry);
						commandLog.append({at: entry.at, severity: 'info', text: `${entry.step}: $ ${entry.command}  # ${entry.result}`});
					},
					signal: handlers.signal,
					// A wait for the operator polls in real time here, so the screen can be read meanwhile.
					...(isWaitingForReal ? {sleep: async (ms: number) => new Promise(resolve => setTimeout(resolve, Math.min(ms, 20)))} : {}),
				}),
			);
		},
	};
	const watch = new InputWatch();
	const view = render(
		<InputProbe watch={watch}>
			<App store={store(named)} keymap={buildKeymap({isReadOnly})} isReadOnly={isReadOnly} onQuit={() => {}} now={() => t0 + 5000} memberOps={backend} commandLog={commandLog} />
		</InputProbe>,
	);
	if (columns !== 100) {
		Object.defineProperty(view.stdout, 'columns', {value: columns});
		view.stdout.emit('resize');
	}
	watch.setFrames(view.frames);
	t.after(() => view.unmount());
	return {...view, members, dead, watch, dir, named};
}

/** The screen's rows with every row cut at the edge joined to the next: a value wrapped whole reads back entire. */
function unwrapped(frame: string, columns: number): string {
	const rows = frame.split('\n');
	const out: string[] = [];
	let line = '';
	for (const row of rows) {
		line += row;
		if ([...row].length < columns) {
			out.push(line);
			line = '';
		}
	}
	if (line !== '') out.push(line);
	return out.join('\n');
}

/** Selects etcd-3 (j, j) and opens R on it; resolves once the wizard listens (just after its first frame). */
async function openReplaceOfEtcd3({lastFrame, stdin, watch}: {readonly lastFrame: () => string | undefined; readonly stdin: {write: (data: string) => void}; readonly watch: InputWatch}) {
	for (const [key, selected] of [['', 'etcd-1'], ['j', 'etcd-2'], ['j', 'etcd-3']] as const) {
		if (key) stdin.write(key);
		await frameWith(lastFrame, `> ${selected}`);
	}
	stdin.write('R');
	await watch.readyAfter('Replace member etcd-3');
}

const peers = cluster3.memberList.members.map(member => `${member.name}=${member.peerUrls[0]}`);

test('R walks a replacement: form, quorum numbers, typed name, then every step to done', async t => {
	const {lastFrame, stdin, members, dead, watch} = mount(t);
	await openReplaceOfEtcd3({lastFrame, stdin, watch});
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
	assert.match(done, /kube-apiserver: --etcd-servers=/);
	assert.equal(members.calls.length, 4);
	assert.match(members.calls.join(' '), /^remove \S+ add http:\/\/fake:4000 learner start etcd-4 promote \S+$/);
	stdin.write('\u001B');
	await frameWith(lastFrame, /^(?![\s\S]*Replace member)[\s\S]*> etcd-3/);
	stdin.write('3');
	const log = await frameWith(lastFrame, 'EVENT LOG');
	assert.match(log, /promote: \$ etcdctl /);
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

test('L asks for the new leader\'s name: a stray L and esc change nothing; the typed name moves leadership', async t => {
	const {lastFrame, stdin, members, watch} = mount(t);
	await frameWith(lastFrame, '> etcd-1');
	stdin.write('j');
	await frameWith(lastFrame, '> etcd-2');
	stdin.write('L');
	const confirm = await frameWith(lastFrame, 'type "etcd-2" and enter to move leadership');
	assert.match(confirm, /move leadership from etcd-1 .* to etcd-2/);
	assert.match(confirm, /etcdctl equivalent: .*move-leader/);
	await watch.readyAfter('type "etcd-2"');
	stdin.write('\u001B');
	await frameWith(lastFrame, 'cancelled');
	assert.deepEqual(members.calls, [], 'one keystroke never forces an election');
	stdin.write('\u001B');
	await frameWith(lastFrame, /^(?![\s\S]*Move leadership)[\s\S]*> etcd-2/);
	stdin.write('L');
	await frameWith(lastFrame, 'type "etcd-2"');
	await watch.readyAfter(/Move leadership to etcd-2[\s\S]*type "etcd-2"/);
	stdin.write('etcd-2\r');
	await frameWith(lastFrame, /done: etcd-2 .* leads/);
	assert.deepEqual(members.calls, [`move-leader ${cluster3.memberList.members[1]!.id}`]);
});

async function fillForm(stdin: {write: (data: string) => void}, values: readonly string[]) {
	for (const value of values) stdin.write(`${value}\r`);
}

test('a adds a learner by default: the quorum now and after and the typed new name come before any change; the start settings stay on screen', async t => {
	const {lastFrame, stdin, members, watch, named} = mount(t, {isEtcd3Down: false});
	await frameWith(lastFrame, '> etcd-1', 20_000);
	stdin.write('a');
	await watch.readyAfter('Add member');
	await fillForm(stdin, ['etcd-4', 'http://fake:4000', 'http://fake:4001', 'start-etcd']);
	const role = await frameWith(lastFrame, '> join as: [learner] voter', 20_000);
	assert.match(role, /tab learner\/voter/);
	stdin.write('\r');
	const confirm = await frameWith(lastFrame, 'type "etcd-4" and enter to add it', 20_000);
	assert.match(confirm, /add etcd-4 \(http:\/\/fake:4000\) as a learner/);
	assert.match(confirm, /quorum now: 3 voters, quorum 2, 3 reachable, tolerates 1 down/);
	assert.match(confirm, /quorum after the add: 3 voters, quorum 2/);
	// The decision's member list, and how it was read: the fixture's etcd is 3.4, whose list is serializable only, so a linearizable read went first.
	assert.match(unwrapped(confirm, 100), /member list read from etcd-\d \(etcd 3\.4\.23: after a linearizable read through it\): the cluster's current list/);
	assert.match(unwrapped(confirm, 100), /etcdctl equivalent: etcdctl .* member add etcd-4 --peer-urls=http:\/\/fake:4000 --learner/);
	assert.deepEqual(members.calls, [], 'nothing changes before the typed name');
	await watch.readyAfter('type "etcd-4"');
	stdin.write('etcd-4\r');
	const done = await frameWith(lastFrame, /done: .*healthy voter/, 20_000);
	assert.match(members.calls.join(' '), /^add http:\/\/fake:4000 learner start etcd-4 promote d4$/);
	assert.deepEqual(named, ['d4 etcd-4'], 'the console shows the added member under its name until etcd reports one');
	const whole = unwrapped(done, 100);
	assert.match(whole, /kube-apiserver: --etcd-servers=\S+fake:4001/);
	assert.ok(whole.includes(`export ETCD_INITIAL_CLUSTER=${[...peers, 'etcd-4=http://fake:4000'].join(',')}`), whole);
	for (const line of whole.split('\n')) if (/ETCD_|--initial-cluster|--etcd-servers/.test(line)) assert.doesNotMatch(line, /…/, 'nothing to copy is cut');
});

test('a as a voter: tab chooses voter, and the quorum after the add says so before the typed name', async t => {
	const {lastFrame, stdin, members, watch} = mount(t, {isEtcd3Down: false});
	await frameWith(lastFrame, '> etcd-1', 20_000);
	stdin.write('a');
	await watch.readyAfter('Add member');
	await fillForm(stdin, ['etcd-4', 'http://fake:4000', '', 'start-etcd']);
	await frameWith(lastFrame, '> join as: [learner]', 20_000);
	stdin.write('\t');
	await frameWith(lastFrame, '> join as: learner [voter]', 20_000);
	stdin.write('\r');
	const confirm = await frameWith(lastFrame, 'type "etcd-4"', 20_000);
	assert.match(confirm, /as a voter: it votes at once/);
	assert.match(confirm, /quorum after the add: 4 voters, quorum 3, 3 reachable until it starts, tolerates 0 down/);
	await watch.readyAfter('type "etcd-4"');
	stdin.write('etcd-5\r');
	await frameWith(lastFrame, 'cancelled', 20_000);
	assert.deepEqual(members.calls, [], 'a wrong name adds nothing');
});

for (const columns of [100, 80]) {
	test(`R at ${columns} columns: ETCD_INITIAL_CLUSTER whole while it waits; 3 opens the log pane (settings whole there too), R returns; w writes a 0600 file and says where`, async t => {
		const {lastFrame, stdin, watch, dir, frames} = mount(t, {isWaitingForReal: true, columns});
		await openReplaceOfEtcd3({lastFrame, stdin, watch});
		await fillForm(stdin, ['etcd-4', 'http://fake:4000', 'http://fake:4001', '']);
		await frameWith(lastFrame, 'type "etcd-3"', 20_000);
		await watch.readyAfter(/Replace member etcd-3[\s\S]*type "etcd-3"/);
		stdin.write('etcd-3\r');
		const initialCluster = `ETCD_INITIAL_CLUSTER=${[peers[0], peers[1], 'etcd-4=http://fake:4000'].join(',')}`;
		const screen = () => unwrapped(strip(lastFrame()), columns);
		const waiting = await frameWith(screen, /http:\/\/fake:4001: connection refused: nothing listens there/, 20_000);
		assert.ok(waiting.includes(`export ${initialCluster}`), waiting);
		for (const line of waiting.split('\n')) if (/ETCD_|--initial-cluster|--etcd-servers/.test(line)) assert.doesNotMatch(line, /…/, 'nothing to copy is cut');
		// The change waits for the member; the log pane opens meanwhile and the change goes on behind it.
		stdin.write('3');
		const log = await frameWith(screen, 'EVENT LOG', 20_000);
		assert.match(log, /Replace member etcd-3 runs \(start\) · R returns to it/);
		assert.ok(log.includes(`settings:     - --initial-cluster=${initialCluster.slice('ETCD_INITIAL_CLUSTER='.length)}`), log);
		// From the log pane itself, R returns to the change (not only from the dashboard).
		const drawn = frames.length;
		stdin.write('R');
		await watch.readyAfter('esc stops before the next step', 20_000, drawn);
		stdin.write('w');
		const written = await frameWith(screen, /settings written to/, 20_000);
		const files = readdirSync(dir);
		assert.equal(files.length, 1);
		const path = join(dir, files[0]!);
		assert.ok(written.includes(`settings written to ${path} (mode 0600)`), written);
		assert.equal(statSync(path).mode & 0o777, 0o600);
		const text = readFileSync(path, 'utf8');
		assert.ok(text.includes(`export ${initialCluster}`));
		assert.match(text, /--initial-cluster-state=existing/);
		assert.match(text, /- --initial-cluster=/);
		// Every line to copy can be scrolled to, each whole.
		for (let index = 0; index < 30; index++) stdin.write('j');
		await frameWith(screen, /warning: the data dir on the new host must be empty/, 20_000);
		stdin.write('\u001B');
		await frameWith(lastFrame, /cancelled: stopped before the next step/, 20_000);
		await waitUntil('the wizard to finish', () => strip(lastFrame()).includes('esc closes'), 20_000);
	});
}
