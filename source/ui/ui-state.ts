import {findAction, type ActionId, type KeyAction, type MemberActionId, type Scope} from './keymap.js';

export type Pane = 'dashboard' | 'snapshots' | 'log';

/** Which overlay is open: one union rather than a flag per overlay. */
export type Modal =
	| {readonly kind: 'none'}
	| {readonly kind: 'help'}
	| {readonly kind: 'member-details'; readonly memberKey: string}
	| {readonly kind: 'snapshot-details'; readonly name: string; readonly offset: number}
	| {readonly kind: 'confirm-delete'; readonly name: string; readonly typed: string}
	/** The member wizard; it reads every key itself until it closes. `memberKey` is unset for add. */
	| {readonly kind: 'member-op'; readonly action: MemberActionId; readonly memberKey: string | undefined};

export interface UiState {
	readonly pane: Pane;
	readonly modal: Modal;
	readonly selectedKey: string | undefined;
	/** The selected file in the snapshots pane, by name. */
	readonly selectedSnapshot?: string | undefined;
}

export const initialUi: UiState = Object.freeze({pane: 'dashboard' as const, modal: {kind: 'none' as const}, selectedKey: undefined});

function scopesFor(ui: UiState): readonly Scope[] {
	if (ui.modal.kind === 'snapshot-details') return ['global', 'modal', 'snapshots'];
	if (ui.modal.kind !== 'none') return ['global', 'modal'];
	if (ui.pane === 'snapshots') return ['global', 'snapshots'];
	return ui.pane === 'dashboard' ? ['global', 'dashboard'] : ['global'];
}

/** The action a key means where the operator is; in an overlay enter closes it, as escape does. */
export function resolveKey(keymap: readonly KeyAction[], ui: UiState, name: string): KeyAction | undefined {
	if (ui.modal.kind !== 'none' && name === 'enter') return keymap.find(action => action.id === 'close');
	return findAction(keymap, name, scopesFor(ui));
}

/** The scopes whose actions apply where the operator is; the hint bar shows only these. */
export function activeScopes(ui: UiState): readonly Scope[] {
	return scopesFor(ui);
}

/**
 * Typing the file name into the delete confirmation. Returns the name to delete once enter is pressed
 * on an exact match; escape cancels, and cancel is also what any other way out does.
 */
export function reduceConfirmKey(ui: UiState, name: string, input: string): {ui: UiState; confirmed?: string} {
	if (ui.modal.kind !== 'confirm-delete') return {ui};
	const modal = ui.modal;
	if (name === 'escape') return {ui: {...ui, modal: {kind: 'none'}}};
	if (name === 'enter') return modal.typed === modal.name ? {ui: {...ui, modal: {kind: 'none'}}, confirmed: modal.name} : {ui};
	if (name === 'backspace') return {ui: {...ui, modal: {...modal, typed: modal.typed.slice(0, -1)}}};
	if (input.length === 0 || name.startsWith('ctrl+') || ['up', 'down', 'tab'].includes(name)) return {ui};
	// A paste (or keys faster than a render) arrives as one chunk, enter and backspace included.
	let typed = modal.typed;
	for (const char of input) {
		if (char === '\r' || char === '\n') {
			return typed === modal.name ? {ui: {...ui, modal: {kind: 'none'}}, confirmed: modal.name} : {ui: {...ui, modal: {...modal, typed}}};
		}
		if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
		else if (char >= ' ') typed += char;
	}
	return {ui: {...ui, modal: {...modal, typed}}};
}

/** Pure: the console's own navigation state after an action, given the member keys in display order. */
export function reduceUi(ui: UiState, id: ActionId, memberKeys: readonly string[], snapshotNames: readonly string[] = []): UiState {
	const snapshotIndex = Math.max(0, snapshotNames.indexOf(ui.selectedSnapshot ?? snapshotNames[0] ?? ''));
	const index = Math.max(0, memberKeys.indexOf(ui.selectedKey ?? memberKeys[0] ?? ''));
	switch (id) {
		case 'help':
			return {...ui, modal: ui.modal.kind === 'help' ? {kind: 'none'} : {kind: 'help'}};
		case 'close':
			return {...ui, modal: {kind: 'none'}};
		case 'down':
			return {...ui, selectedKey: memberKeys[Math.min(memberKeys.length - 1, index + 1)]};
		case 'up':
			return {...ui, selectedKey: memberKeys[Math.max(0, index - 1)]};
		case 'details': {
			const key = memberKeys[index];
			return key ? {...ui, selectedKey: key, modal: {kind: 'member-details', memberKey: key}} : ui;
		}
		case 'replace-member':
		case 'remove-member':
		case 'move-leader': {
			const key = memberKeys[index];
			return key ? {...ui, selectedKey: key, modal: {kind: 'member-op', action: id, memberKey: key}} : ui;
		}
		case 'add-member':
			return {...ui, modal: {kind: 'member-op', action: id, memberKey: undefined}};
		case 'dashboard':
			return {...ui, pane: 'dashboard', modal: {kind: 'none'}};
		case 'log':
			return {...ui, pane: 'log', modal: {kind: 'none'}};
		case 'snapshots':
			return {...ui, pane: 'snapshots', modal: {kind: 'none'}};
		case 'snapshot-down':
			if (ui.modal.kind === 'snapshot-details') return {...ui, modal: {...ui.modal, offset: ui.modal.offset + 1}};
			return {...ui, selectedSnapshot: snapshotNames[Math.min(snapshotNames.length - 1, snapshotIndex + 1)]};
		case 'snapshot-up':
			if (ui.modal.kind === 'snapshot-details') return {...ui, modal: {...ui.modal, offset: Math.max(0, ui.modal.offset - 1)}};
			return {...ui, selectedSnapshot: snapshotNames[Math.max(0, snapshotIndex - 1)]};
		case 'snapshot-details': {
			const name = snapshotNames[snapshotIndex];
			return name ? {...ui, selectedSnapshot: name, modal: {kind: 'snapshot-details', name, offset: 0}} : ui;
		}
		case 'snapshot-delete': {
			const name = snapshotNames[snapshotIndex];
			return name ? {...ui, selectedSnapshot: name, modal: {kind: 'confirm-delete', name, typed: ''}} : ui;
		}
		default:
			return ui;
	}
}

const intervalSteps = [250, 500, 1000, 2000, 5000, 10_000, 30_000];

export function stepInterval(current: number, direction: 1 | -1): number {
	const index = intervalSteps.findIndex(step => step >= current);
	const at = index === -1 ? intervalSteps.length - 1 : index;
	return intervalSteps[Math.max(0, Math.min(intervalSteps.length - 1, at + direction))]!;
}
