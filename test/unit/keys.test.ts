import assert from 'node:assert/strict';
import {test} from 'node:test';
import {actionsOn, buildKeymap, findAction, hintLine, resolveKey, type ActionId, type ActionSpec, type ActionSpecs, type ConsoleActionId, type ConsoleContext} from '../../source/ui/keymap.js';
import {KeyInbox, splitKeys} from '../../source/ui/keys.js';
import {reduceTyped, startTyped, type TypedInput} from '../../source/model/typed-confirmation.js';
import {initialUi, type UiState} from '../../source/ui/ui-state.js';

test('a chunk outside text entry is one key per character; in a field, runs of text with enter and backspace', () => {
	assert.deepEqual(splitKeys('3q', {}, 'keys'), [{name: '3', text: '3'}, {name: 'q', text: 'q'}]);
	assert.deepEqual(splitKeys('q', {}, 'keys'), [{name: 'q', text: 'q'}]);
	assert.deepEqual(splitKeys('', {escape: true}, 'keys'), [{name: 'escape', text: ''}]);
	assert.deepEqual(splitKeys('c', {ctrl: true}, 'text'), [{name: 'ctrl+c', text: ''}]);
	assert.deepEqual(splitKeys('etcd-4\r', {}, 'text'), [{name: 'etcd-4', text: 'etcd-4'}, {name: 'enter', text: ''}]);
	assert.deepEqual(splitKeys('a.dbx\u007f\r', {}, 'text'), [{name: 'a.dbx', text: 'a.dbx'}, {name: 'backspace', text: ''}, {name: 'enter', text: ''}]);
	assert.deepEqual(splitKeys('\r', {}, 'text'), [{name: 'enter', text: ''}]);
	// A control byte inside a paste types nothing.
	assert.deepEqual(splitKeys('a\u0007b', {}, 'text'), [{name: 'a', text: 'a'}, {name: 'b', text: 'b'}]);
});

test('the typed confirmation: only the exact name confirms; enter on anything else cancels, as escape does', () => {
	const walk = (...inputs: TypedInput[]) => {
		let state = startTyped('a.db');
		let outcome = 'typing';
		for (const input of inputs) ({state, outcome} = reduceTyped(state, input));
		return {typed: state.typed, outcome};
	};
	assert.deepEqual(walk({type: 'text', text: 'a.db'}, {type: 'submit'}), {typed: 'a.db', outcome: 'confirmed'});
	assert.deepEqual(walk({type: 'text', text: 'a.dbx'}, {type: 'backspace'}, {type: 'submit'}), {typed: 'a.db', outcome: 'confirmed'});
	assert.deepEqual(walk({type: 'text', text: 'a.d'}, {type: 'submit'}), {typed: 'a.d', outcome: 'cancelled'});
	assert.deepEqual(walk({type: 'text', text: 'a.db '}, {type: 'submit'}), {typed: 'a.db ', outcome: 'cancelled'});
	assert.deepEqual(walk({type: 'text', text: 'a.db'}, {type: 'cancel'}), {typed: 'a.db', outcome: 'cancelled'});
	assert.deepEqual(walk({type: 'backspace'}, {type: 'text', text: 'a\u001b.db'}), {typed: 'a.db', outcome: 'typing'});
});

function context(patch: Partial<ConsoleContext> = {}): ConsoleContext & {readonly calls: string[]} {
	const calls: string[] = [];
	let ui: UiState = initialUi;
	return {
		calls,
		get ui() {
			return ui;
		},
		update: next => {
			ui = next;
			calls.push(`ui ${next.pane} ${next.modal.kind}${next.notice ? ` ${next.notice}` : ''}`);
		},
		store: {
			subscribe: () => () => undefined,
			getSnapshot: () => ({intervalMs: 1000, isPaused: false, cluster: {view: {alarms: []}}}) as never,
			refresh: () => calls.push('refresh'),
			setPaused: isPaused => calls.push(`paused ${isPaused}`),
			setInterval: ms => calls.push(`interval ${ms}`),
		},
		snapshots: {reload: () => calls.push('reload'), save: () => calls.push('save'), verify: name => calls.push(`verify ${name}`)},
		hasSnapshots: true,
		memberKeys: ['m1', 'm2'],
		snapshotNames: ['a.db'],
		hasMemberOps: true,
		liveMemberOp: undefined,
		maintenance: {
			isBusy: false,
			loadQuotas: async () => void calls.push('quotas'),
			defrag: async options => void calls.push(`defrag ${options.isCompacting} ${options.isDisarming}`),
			compact: async () => void calls.push('compact'),
			disarm: async () => void calls.push('disarm'),
			check: async () => void calls.push('check'),
			usage: async () => void calls.push('usage'),
		},
		quit: () => calls.push('quit'),
		...patch,
	};
}

test('every console action runs its own handler: none is a silent no-op', () => {
	for (const action of actionsOn(buildKeymap({isReadOnly: false}), 'console')) {
		const ctx = context(action.scope === 'modal' ? {} : {});
		if (action.id === 'close') ctx.update({...initialUi, modal: {kind: 'help'}});
		const before = ctx.calls.length;
		assert.equal(action.disabledReason(ctx), undefined, action.id);
		action.run(ctx);
		assert.ok(ctx.calls.length > before, `${action.id} did nothing`);
	}
});

test('a disabled action says why; member changes without a backend, snapshot keys without a file', () => {
	const keymap = buildKeymap({isReadOnly: false});
	const reason = (id: ConsoleActionId, patch: Partial<ConsoleContext>) => actionsOn(keymap, 'console').find(action => action.id === id)!.disabledReason(context(patch));
	assert.equal(reason('replace-member', {hasMemberOps: false}), 'member changes are not available in this console');
	assert.equal(reason('remove-member', {memberKeys: []}), 'no member in the list yet');
	assert.equal(reason('snapshot-verify', {snapshotNames: []}), 'no snapshot in the directory');
	assert.equal(reason('snapshot-save', {hasSnapshots: false}), 'snapshots are not set up in this console');
});

test('keys resolve where the operator is: a modal first, then its pane, then global', () => {
	const keymap = buildKeymap({isReadOnly: false});
	assert.equal(resolveKey(keymap, initialUi, 'enter')?.id, 'details');
	assert.equal(resolveKey(keymap, {...initialUi, modal: {kind: 'help'}}, 'enter')?.id, 'close');
	assert.equal(resolveKey(keymap, {...initialUi, pane: 'snapshots', modal: {kind: 'snapshot-details', name: 'a.db', offset: 0}}, 'j')?.id, 'snapshot-down');
	assert.equal(resolveKey(keymap, {...initialUi, pane: 'snapshots'}, 'j')?.id, 'snapshot-down');
	assert.equal(resolveKey(keymap, initialUi, 'j')?.id, 'down');
	assert.equal(findAction(keymap, 'wizard', 'escape', ['wizard running'])?.id, 'wizard-stop');
	assert.equal(hintLine(keymap, 'wizard form'), 'enter next · esc cancel');
	assert.equal(resolveKey(buildKeymap({isReadOnly: true}), initialUi, 'R'), undefined);
});

test('an action id without its handler does not compile', () => {
	// @ts-expect-error -- run is required: an action with a key and no handler is refused by the compiler.
	const missing: ActionSpec<'console'> = {surface: 'console', keys: ['x'], description: 'x', scope: 'global', isDangerous: false, disabledReason: () => undefined};
	const id: ActionId = 'quit';
	const withoutQuit = {} as Omit<ActionSpecs, 'quit'>;
	// @ts-expect-error -- a keymap without the spec of one id ('quit') is refused.
	const specs: ActionSpecs = withoutQuit;
	assert.ok(missing && id && specs);
});

test('a name with control bytes is confirmed by typing what the screen shows', () => {
	let {state} = reduceTyped(startTyped('bad\u001b[2Jname'), {type: 'text', text: 'bad\\x1b[2Jname'});
	assert.equal(reduceTyped(state, {type: 'submit'}).outcome, 'confirmed');
	({state} = reduceTyped(startTyped('bad\u001b[2Jname'), {type: 'text', text: 'bad[2Jname'}));
	assert.equal(reduceTyped(state, {type: 'submit'}).outcome, 'cancelled');
});

test('KeyInbox holds keys until the view opens it, hands them over in order, and drops them on close', () => {
	const inbox = new KeyInbox();
	assert.equal(inbox.isOpen, false);
	for (const press of splitKeys('e6\r', {}, 'keys')) inbox.hold(press);
	const read: string[] = [];
	inbox.open(press => read.push(press.name));
	assert.equal(inbox.isOpen, true);
	assert.deepEqual(read, ['e', '6', 'enter']);
	inbox.close();
	inbox.hold({name: 'x', text: 'x'});
	inbox.open(press => read.push(press.name));
	assert.deepEqual(read, ['e', '6', 'enter', 'x']);
	inbox.close();
	assert.equal(inbox.isOpen, false);
});
