import {findAction, type ActionId, type KeyAction, type MemberActionId, type Scope} from './keymap.js';

export type Pane = 'dashboard' | 'log';

/** Which overlay is open: one union rather than a flag per overlay. */
export type Modal =
	| {readonly kind: 'none'}
	| {readonly kind: 'help'}
	| {readonly kind: 'member-details'; readonly memberKey: string}
	/** The member wizard; it reads every key itself until it closes. `memberKey` is unset for add. */
	| {readonly kind: 'member-op'; readonly action: MemberActionId; readonly memberKey: string | undefined};

export interface UiState {
	readonly pane: Pane;
	readonly modal: Modal;
	readonly selectedKey: string | undefined;
}

export const initialUi: UiState = Object.freeze({pane: 'dashboard' as const, modal: {kind: 'none' as const}, selectedKey: undefined});

function scopesFor(ui: UiState): readonly Scope[] {
	if (ui.modal.kind !== 'none') return ['global', 'modal'];
	return ui.pane === 'dashboard' ? ['global', 'dashboard'] : ['global'];
}

/** The action a key means where the operator is; in an overlay enter closes it, as escape does. */
export function resolveKey(keymap: readonly KeyAction[], ui: UiState, name: string): KeyAction | undefined {
	if (ui.modal.kind !== 'none' && name === 'enter') return keymap.find(action => action.id === 'close');
	return findAction(keymap, name, scopesFor(ui));
}

/** Pure: the console's own navigation state after an action, given the member keys in display order. */
export function reduceUi(ui: UiState, id: ActionId, memberKeys: readonly string[]): UiState {
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
