import type {ConsoleStore} from './console-store.js';
import {reduceUi, scopesFor, stepInterval, type NavigationId, type UiState} from './ui-state.js';

/**
 * The one keymap. Every action is data with its behaviour: keys, description, where it applies, whether
 * it changes the cluster, `run(ctx)` and `disabledReason(ctx)`. The specs are a record keyed by every
 * action id, so an id without its handler does not compile. The hint bar, the `?` overlay, the hints
 * inside the wizard and the typed confirmation, and the readme's key table are all generated from it.
 *
 * To add an action: add its id to one of the id unions below and its entry to `specs` (the compiler
 * asks for it), with `run` doing the work through the context it is given.
 */
export type ConsoleActionId =
	| 'quit' | 'help' | 'down' | 'up' | 'details' | 'pause' | 'refresh' | 'slower' | 'faster' | 'dashboard' | 'log' | 'close'
	| 'snapshots' | 'snapshot-down' | 'snapshot-up' | 'snapshot-save' | 'snapshot-verify' | 'snapshot-delete' | 'snapshot-details'
	| MemberActionId
	| 'maintenance' | MaintenanceActionId;

/** The Maintenance pane's actions: the same machines as `etcdtop defrag`, `compact`, `alarm disarm`, `check consistency`, `usage`. */
export type MaintenanceActionId = 'maintenance-defrag' | 'maintenance-compact' | 'maintenance-disarm' | 'maintenance-check' | 'maintenance-usage';

/** Actions that change membership; each opens the member wizard (same state machine as `etcdtop member …`). */
export type MemberActionId = 'replace-member' | 'add-member' | 'remove-member' | 'move-leader';

/** Keys inside the member wizard, by its phase. */
export type WizardActionId = 'wizard-next' | 'wizard-cancel' | 'wizard-toggle' | 'wizard-stop' | 'wizard-close' | 'wizard-write' | 'wizard-scroll-down' | 'wizard-scroll-up';

/** Keys of the typed confirmation (member removal, snapshot deletion). */
export type ConfirmActionId = 'confirm-submit' | 'confirm-cancel';

export type ActionId = ConsoleActionId | WizardActionId | ConfirmActionId;

/** `wizard`: the member wizard once it runs, running or finished (its settings to copy). */
export type Scope = 'global' | 'dashboard' | 'snapshots' | 'maintenance' | 'modal' | 'wizard form' | 'wizard running' | 'wizard finished' | 'wizard' | 'typed confirmation';

/** The snapshots pane's store, as far as keys drive it. */
export interface SnapshotActions {
	reload(): void;
	save(): void;
	verify(name: string): void;
}

/** The Maintenance pane's store, as far as keys drive it (ui/maintenance-store.ts). */
export interface MaintenanceActions {
	readonly isBusy: boolean;
	loadQuotas(): Promise<void>;
	defrag(options: {readonly isCompacting: boolean; readonly isDisarming: boolean}): Promise<void>;
	compact(): Promise<void>;
	disarm(): Promise<void>;
	check(): Promise<void>;
	usage(): Promise<void>;
}

/** What a console action may read and do, built afresh for each key from the latest state. */
export interface ConsoleContext {
	readonly ui: UiState;
	readonly update: (next: UiState) => void;
	readonly store: ConsoleStore;
	readonly snapshots: SnapshotActions;
	readonly hasSnapshots: boolean;
	/** Member keys in display order. */
	readonly memberKeys: readonly string[];
	/** Snapshot file names in display order. */
	readonly snapshotNames: readonly string[];
	readonly hasMemberOps: boolean;
	/** A member change still open in the wizard (it may wait while another pane is shown): R, a, D and L return to it. */
	readonly liveMemberOp: {readonly action: MemberActionId; readonly memberKey: string | undefined} | undefined;
	/** The Maintenance pane's actions; undefined when the console has none. */
	readonly maintenance: MaintenanceActions | undefined;
	readonly quit: () => void;
}

export interface WizardContext {
	readonly next: () => void;
	readonly cancel: () => void;
	/** The form's learner / voter choice. */
	readonly toggle: () => void;
	readonly stop: () => void;
	readonly close: () => void;
	/** Writes the settings to copy to a new 0600 file. */
	readonly write: () => void;
	readonly scroll: (lines: number) => void;
}

export interface ConfirmContext {
	readonly submit: () => void;
	readonly cancel: () => void;
}

export interface Contexts {
	readonly console: ConsoleContext;
	readonly wizard: WizardContext;
	readonly confirm: ConfirmContext;
}

export type Surface = keyof Contexts;

interface IdsOf {
	readonly console: ConsoleActionId;
	readonly wizard: WizardActionId;
	readonly confirm: ConfirmActionId;
}

export interface ActionSpec<S extends Surface> {
	/** Which component reads the key: the console, the member wizard, or a typed confirmation. */
	readonly surface: S;
	readonly keys: readonly string[];
	readonly description: string;
	readonly scope: Scope;
	/** Changes the cluster: dropped from the map under --read-only. */
	readonly isDangerous: boolean;
	/** The words after the key in a hint line; actions without one are only in the ? overlay. */
	readonly hint?: string;
	readonly run: (ctx: Contexts[S]) => void;
	/** Why the action cannot run now (said when it is pressed), or undefined. */
	readonly disabledReason: (ctx: Contexts[S]) => string | undefined;
}

export type KeyAction<S extends Surface = Surface> = S extends Surface ? ActionSpec<S> & {readonly id: IdsOf[S]} : never;

export type Keymap = readonly KeyAction[];

const alwaysOn = (): undefined => undefined;

function navigate(id: NavigationId) {
	return (ctx: ConsoleContext) => ctx.update(reduceUi(ctx.ui, id, ctx.memberKeys, ctx.snapshotNames));
}

function selectedSnapshot(ctx: ConsoleContext): string | undefined {
	return ctx.ui.selectedSnapshot ?? ctx.snapshotNames[0];
}

const needsMember = (ctx: ConsoleContext) => (ctx.memberKeys.length === 0 ? 'no member in the list yet' : undefined);
const needsSnapshot = (ctx: ConsoleContext) => (!ctx.hasSnapshots ? 'snapshots are not set up in this console' : selectedSnapshot(ctx) === undefined ? 'no snapshot in the directory' : undefined);
const needsMemberOps = (ctx: ConsoleContext) => (ctx.hasMemberOps ? undefined : 'member changes are not available in this console');
const needsMemberOpsAndMember = (ctx: ConsoleContext) => needsMemberOps(ctx) ?? (ctx.liveMemberOp ? undefined : needsMember(ctx));

/** Opens the member wizard for `id`, or returns to the change still open in it (one change at a time). */
function memberOp(id: MemberActionId) {
	return (ctx: ConsoleContext) => {
		if (ctx.liveMemberOp) return ctx.update({...ctx.ui, modal: {kind: 'member-op', ...ctx.liveMemberOp}});
		navigate(id)(ctx);
	};
}
const needsMaintenance = (ctx: ConsoleContext) => (!ctx.maintenance ? 'maintenance is not available in this console' : ctx.maintenance.isBusy ? 'a maintenance action is running; wait for it to finish' : undefined);
/** Starts a maintenance action; its progress and its typed confirmation arrive through the store. */
const maintain = (start: (actions: MaintenanceActions, ctx: ConsoleContext) => Promise<void>) => (ctx: ConsoleContext) => {
	if (ctx.maintenance) void start(ctx.maintenance, ctx);
};

/** Every action id with its spec: the compiler refuses an id without its handler. */
export type ActionSpecs = {readonly [Id in ConsoleActionId]: ActionSpec<'console'>} & {readonly [Id in WizardActionId]: ActionSpec<'wizard'>} & {readonly [Id in ConfirmActionId]: ActionSpec<'confirm'>};

const console = 'console' as const;

const specs: ActionSpecs = {
	quit: {surface: console, keys: ['q', 'ctrl+c'], description: 'quit', scope: 'global', isDangerous: false, hint: 'quit', run: ctx => ctx.quit(), disabledReason: alwaysOn},
	help: {surface: console, keys: ['?'], description: 'help: every key', scope: 'global', isDangerous: false, hint: 'help', run: navigate('help'), disabledReason: alwaysOn},
	down: {surface: console, keys: ['j', 'down'], description: 'select next member', scope: 'dashboard', isDangerous: false, run: navigate('down'), disabledReason: alwaysOn},
	up: {surface: console, keys: ['k', 'up'], description: 'select previous member', scope: 'dashboard', isDangerous: false, run: navigate('up'), disabledReason: alwaysOn},
	details: {surface: console, keys: ['enter'], description: 'member details', scope: 'dashboard', isDangerous: false, hint: 'details', run: navigate('details'), disabledReason: needsMember},
	pause: {surface: console, keys: ['p'], description: 'pause / resume polling', scope: 'global', isDangerous: false, hint: 'pause', run: ctx => ctx.store.setPaused(!ctx.store.getSnapshot().isPaused), disabledReason: alwaysOn},
	refresh: {surface: console, keys: ['r'], description: 'refresh now', scope: 'global', isDangerous: false, hint: 'refresh', run: ctx => ctx.store.refresh(), disabledReason: alwaysOn},
	slower: {surface: console, keys: ['+'], description: 'longer poll interval', scope: 'global', isDangerous: false, run: ctx => ctx.store.setInterval(stepInterval(ctx.store.getSnapshot().intervalMs, 1)), disabledReason: alwaysOn},
	faster: {surface: console, keys: ['-'], description: 'shorter poll interval', scope: 'global', isDangerous: false, run: ctx => ctx.store.setInterval(stepInterval(ctx.store.getSnapshot().intervalMs, -1)), disabledReason: alwaysOn},
	dashboard: {surface: console, keys: ['1'], description: 'dashboard pane', scope: 'global', isDangerous: false, hint: 'dashboard', run: navigate('dashboard'), disabledReason: alwaysOn},
	snapshots: {
		surface: console,
		keys: ['2'],
		description: 'snapshots pane',
		scope: 'global',
		isDangerous: false,
		hint: 'snapshots',
		run: ctx => {
			ctx.snapshots.reload();
			ctx.update(reduceUi(ctx.ui, 'snapshots', [], ctx.snapshotNames));
		},
		disabledReason: alwaysOn,
	},
	'snapshot-down': {surface: console, keys: ['j', 'down'], description: 'select next snapshot', scope: 'snapshots', isDangerous: false, run: navigate('snapshot-down'), disabledReason: alwaysOn},
	'snapshot-up': {surface: console, keys: ['k', 'up'], description: 'select previous snapshot', scope: 'snapshots', isDangerous: false, run: navigate('snapshot-up'), disabledReason: alwaysOn},
	'snapshot-save': {surface: console, keys: ['s'], description: 'save a snapshot now', scope: 'snapshots', isDangerous: false, hint: 'save', run: ctx => {
		ctx.update({...ctx.ui, isFollowingSave: true});
		ctx.snapshots.save();
	}, disabledReason: ctx => (ctx.hasSnapshots ? undefined : 'snapshots are not set up in this console')},
	'snapshot-verify': {
		surface: console,
		keys: ['v'],
		description: 'verify snapshot',
		scope: 'snapshots',
		isDangerous: false,
		hint: 'verify',
		run: ctx => {
			const name = selectedSnapshot(ctx);
			if (name !== undefined) ctx.snapshots.verify(name);
		},
		disabledReason: needsSnapshot,
	},
	'snapshot-delete': {surface: console, keys: ['d'], description: 'delete snapshot (typed)', scope: 'snapshots', isDangerous: true, hint: 'delete', run: navigate('snapshot-delete'), disabledReason: needsSnapshot},
	'snapshot-details': {surface: console, keys: ['enter'], description: 'details, restore plan', scope: 'snapshots', isDangerous: false, hint: 'details', run: navigate('snapshot-details'), disabledReason: needsSnapshot},
	log: {surface: console, keys: ['3'], description: 'event and command log', scope: 'global', isDangerous: false, hint: 'log', run: navigate('log'), disabledReason: alwaysOn},
	close: {surface: console, keys: ['escape', 'enter'], description: 'close the overlay', scope: 'modal', isDangerous: false, run: navigate('close'), disabledReason: alwaysOn},
	'replace-member': {surface: console, keys: ['R'], description: 'replace failed member', scope: 'dashboard', isDangerous: true, hint: 'replace', run: memberOp('replace-member'), disabledReason: needsMemberOpsAndMember},
	'add-member': {surface: console, keys: ['a'], description: 'add a member (typed)', scope: 'dashboard', isDangerous: true, run: memberOp('add-member'), disabledReason: needsMemberOps},
	'remove-member': {surface: console, keys: ['D'], description: 'remove member', scope: 'dashboard', isDangerous: true, run: memberOp('remove-member'), disabledReason: needsMemberOpsAndMember},
	'move-leader': {surface: console, keys: ['L'], description: 'move leadership here (typed)', scope: 'dashboard', isDangerous: true, run: memberOp('move-leader'), disabledReason: needsMemberOpsAndMember},
	maintenance: {
		surface: console,
		keys: ['4'],
		description: 'maintenance pane',
		scope: 'global',
		isDangerous: false,
		hint: 'maintenance',
		run: ctx => {
			if (ctx.maintenance && !ctx.maintenance.isBusy) void ctx.maintenance.loadQuotas();
			ctx.update(reduceUi(ctx.ui, 'maintenance', ctx.memberKeys, ctx.snapshotNames));
		},
		disabledReason: alwaysOn,
	},
	'maintenance-defrag': {
		surface: console,
		keys: ['d'],
		description: 'defrag, leader last (typed)',
		scope: 'maintenance',
		isDangerous: true,
		hint: 'defrag',
		// With NOSPACE raised, d is the guided recovery: compact, defragment, disarm.
		run: maintain((actions, ctx) => {
			const hasNospace = ctx.store.getSnapshot().cluster.view.alarms.some(alarm => alarm.alarm === 'NOSPACE');
			return actions.defrag({isCompacting: hasNospace, isDisarming: hasNospace});
		}),
		disabledReason: needsMaintenance,
	},
	'maintenance-compact': {surface: console, keys: ['c'], description: 'compact (typed)', scope: 'maintenance', isDangerous: true, hint: 'compact', run: maintain(actions => actions.compact()), disabledReason: needsMaintenance},
	'maintenance-disarm': {surface: console, keys: ['x'], description: 'disarm NOSPACE', scope: 'maintenance', isDangerous: true, hint: 'disarm', run: maintain(actions => actions.disarm()), disabledReason: needsMaintenance},
	'maintenance-check': {surface: console, keys: ['h'], description: 'check consistency', scope: 'maintenance', isDangerous: false, hint: 'hash check', run: maintain(actions => actions.check()), disabledReason: needsMaintenance},
	'maintenance-usage': {surface: console, keys: ['u'], description: 'usage by prefix', scope: 'maintenance', isDangerous: false, hint: 'usage', run: maintain(actions => actions.usage()), disabledReason: needsMaintenance},
	'wizard-next': {surface: 'wizard', keys: ['enter'], description: 'next field; after the last, check the cluster', scope: 'wizard form', isDangerous: false, hint: 'next', run: ctx => ctx.next(), disabledReason: alwaysOn},
	'wizard-cancel': {surface: 'wizard', keys: ['escape'], description: 'cancel; nothing was changed', scope: 'wizard form', isDangerous: false, hint: 'cancel', run: ctx => ctx.cancel(), disabledReason: alwaysOn},
	'wizard-toggle': {surface: 'wizard', keys: ['tab'], description: 'add: join as learner (promoted once in sync) or voter', scope: 'wizard form', isDangerous: false, run: ctx => ctx.toggle(), disabledReason: alwaysOn},
	'wizard-stop': {
		surface: 'wizard',
		keys: ['escape'],
		description: 'stop before the next step',
		scope: 'wizard running',
		isDangerous: false,
		hint: 'stops before the next step (run it again to resume)',
		run: ctx => ctx.stop(),
		disabledReason: alwaysOn,
	},
	'wizard-close': {surface: 'wizard', keys: ['escape'], description: 'close the finished wizard', scope: 'wizard finished', isDangerous: false, hint: 'closes', run: ctx => ctx.close(), disabledReason: alwaysOn},
	'wizard-write': {surface: 'wizard', keys: ['w'], description: 'write the settings to copy to a new file (0600)', scope: 'wizard', isDangerous: false, hint: 'writes the settings to a file', run: ctx => ctx.write(), disabledReason: alwaysOn},
	'wizard-scroll-down': {surface: 'wizard', keys: ['j', 'down'], description: 'scroll the settings', scope: 'wizard', isDangerous: false, run: ctx => ctx.scroll(1), disabledReason: alwaysOn},
	'wizard-scroll-up': {surface: 'wizard', keys: ['k', 'up'], description: 'scroll the settings back', scope: 'wizard', isDangerous: false, run: ctx => ctx.scroll(-1), disabledReason: alwaysOn},
	'confirm-submit': {surface: 'confirm', keys: ['enter'], description: 'go ahead if the typed name matches, else cancel', scope: 'typed confirmation', isDangerous: false, run: ctx => ctx.submit(), disabledReason: alwaysOn},
	'confirm-cancel': {surface: 'confirm', keys: ['escape'], description: 'cancel', scope: 'typed confirmation', isDangerous: false, hint: 'cancels', run: ctx => ctx.cancel(), disabledReason: alwaysOn},
};

export interface KeymapOptions {
	readonly isReadOnly: boolean;
}

/** The one keymap; --read-only drops every action that changes the cluster here, once. */
export function buildKeymap({isReadOnly}: KeymapOptions): Keymap {
	const all = (Object.keys(specs) as ActionId[]).map(id => ({id, ...specs[id]}) as KeyAction);
	return all.filter(action => !(isReadOnly && action.isDangerous));
}

export function actionsOn<S extends Surface>(keymap: Keymap, surface: S): ReadonlyArray<KeyAction<S>> {
	return keymap.filter((action): action is KeyAction<S> => action.surface === surface);
}

/** The action `name` means on a surface; scopes are tried in order, so a modal's keys win over the pane's. */
export function findAction<S extends Surface>(keymap: Keymap, surface: S, name: string, scopes: readonly Scope[]): KeyAction<S> | undefined {
	const candidates = actionsOn(keymap, surface);
	for (const scope of scopes) {
		const found = candidates.find(action => action.scope === scope && action.keys.includes(name));
		if (found) return found;
	}
	return undefined;
}

/** The console action a key means where the operator is. */
export function resolveKey(keymap: Keymap, ui: UiState, name: string): KeyAction<'console'> | undefined {
	return findAction(keymap, 'console', name, scopesFor(ui));
}

export function actionById<Id extends ActionId>(keymap: Keymap, id: Id): Extract<KeyAction, {id: Id}> | undefined {
	return keymap.find(action => action.id === id) as Extract<KeyAction, {id: Id}> | undefined;
}

const keyLabels: Readonly<Record<string, string>> = {escape: 'esc'};

/** Keys as the screen shows them: "q/ctrl+c", "esc". */
export function formatKeys(action: Pick<ActionSpec<Surface>, 'keys'>, count = action.keys.length): string {
	return action.keys
		.slice(0, count)
		.map(key => keyLabels[key] ?? key)
		.join('/');
}

/** "enter next · esc cancel": the hint line of a scope, from the actions that have a hint there. */
export function hintLine(keymap: Keymap, scope: Scope): string {
	return keymap
		.filter(action => action.scope === scope && action.hint)
		.map(action => `${formatKeys(action, 1)} ${action.hint}`)
		.join(' · ');
}

/** The readme's key table, generated here so the two cannot drift apart (a test compares them). */
export function keyTableMarkdown(keymap: Keymap): string {
	const rows = keymap.map(action => `| ${action.keys.map(key => `\`${key}\``).join(' ')} | ${action.description} | ${action.scope}${action.isDangerous ? ', changes the cluster (absent with --read-only)' : ''} |`);
	return ['| keys | action | where |', '| --- | --- | --- |', ...rows].join('\n');
}
