import {startTyped, type TypedConfirmation} from '../model/typed-confirmation.js';
import type {ConsoleActionId, MaintenanceActionId, MemberActionId, Scope} from './keymap.js';

export type Pane = 'dashboard' | 'snapshots' | 'log' | 'maintenance';

/** Which overlay is open: one union rather than a flag per overlay. */
export type Modal =
	| {readonly kind: 'none'}
	| {readonly kind: 'help'}
	| {readonly kind: 'member-details'; readonly memberKey: string}
	| {readonly kind: 'snapshot-details'; readonly name: string; readonly offset: number}
	/** The typed confirmation before a snapshot file is deleted: every key is typed into it until it closes. */
	| {readonly kind: 'confirm-delete'; readonly name: string; readonly confirmation: TypedConfirmation}
	/** A maintenance action waits for its word typed ("defrag", "compact"): every key is typed into it until it closes. */
	| {readonly kind: 'confirm-maintenance'; readonly confirmation: TypedConfirmation}
	/** The member wizard; it reads every key itself until it closes. `memberKey` is unset for add. */
	| {readonly kind: 'member-op'; readonly action: MemberActionId; readonly memberKey: string | undefined};

export interface UiState {
	readonly pane: Pane;
	readonly modal: Modal;
	readonly selectedKey: string | undefined;
	/** The selected file in the snapshots pane, by name. */
	readonly selectedSnapshot?: string | undefined;
	/** `s` was pressed: the selection moves to the file that save writes, so the next v or d acts on it. */
	readonly isFollowingSave?: boolean;
	/** Why the last key did nothing (a disabled action), shown in place of the hints until the next key. */
	readonly notice?: string | undefined;
}

export const initialUi: UiState = Object.freeze({pane: 'dashboard' as const, modal: {kind: 'none' as const}, selectedKey: undefined});

/** The scopes whose keys apply where the operator is, the most specific first; the hint bar shows these. */
export function scopesFor(ui: UiState): readonly Scope[] {
	if (ui.modal.kind === 'snapshot-details') return ['modal', 'snapshots', 'global'];
	if (ui.modal.kind !== 'none') return ['modal', 'global'];
	if (ui.pane === 'snapshots') return ['snapshots', 'global'];
	if (ui.pane === 'maintenance') return ['maintenance', 'global'];
	return ui.pane === 'dashboard' ? ['dashboard', 'global'] : ['global'];
}

/** The actions that only move the console's own state; the rest act on the stores. */
export type NavigationId = Exclude<ConsoleActionId, 'quit' | 'pause' | 'refresh' | 'slower' | 'faster' | 'snapshot-save' | 'snapshot-verify' | MaintenanceActionId>;

/** Pure: the console's own navigation state after an action, given the member keys in display order. */
export function reduceUi(ui: UiState, id: NavigationId, memberKeys: readonly string[], snapshotNames: readonly string[] = []): UiState {
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
		case 'maintenance':
			return {...ui, pane: 'maintenance', modal: {kind: 'none'}};
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
			return name ? {...ui, selectedSnapshot: name, modal: {kind: 'confirm-delete', name, confirmation: startTyped(name)}} : ui;
		}
	}
}

const intervalSteps = [250, 500, 1000, 2000, 5000, 10_000, 30_000];

export function stepInterval(current: number, direction: 1 | -1): number {
	const index = intervalSteps.findIndex(step => step >= current);
	const at = index === -1 ? intervalSteps.length - 1 : index;
	return intervalSteps[Math.max(0, Math.min(intervalSteps.length - 1, at + direction))]!;
}
