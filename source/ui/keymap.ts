export type ActionId =
	| 'quit' | 'help' | 'down' | 'up' | 'details' | 'pause' | 'refresh' | 'slower' | 'faster' | 'dashboard' | 'log' | 'close'
	| 'snapshots' | 'snapshot-down' | 'snapshot-up' | 'snapshot-save' | 'snapshot-verify' | 'snapshot-delete' | 'snapshot-details'
	| MemberActionId;

/** Actions that change membership; each opens the member wizard (same state machine as `etcdtop member …`). */
export type MemberActionId = 'replace-member' | 'add-member' | 'remove-member' | 'move-leader';

export type Scope = 'global' | 'dashboard' | 'snapshots' | 'modal';

export interface KeyAction {
	readonly id: ActionId;
	readonly keys: readonly string[];
	readonly description: string;
	readonly scope: Scope;
	/** Changes the cluster: dropped from the map under --read-only. */
	readonly isDangerous: boolean;
	/** Shown instead of running the action, when set. */
	readonly disabledReason?: string;
	/** The word in the one-line hint bar; actions without one are only in the ? overlay. */
	readonly hint?: string;
}

const actions: readonly KeyAction[] = [
	{id: 'quit', keys: ['q', 'ctrl+c'], description: 'quit', scope: 'global', isDangerous: false, hint: 'quit'},
	{id: 'help', keys: ['?'], description: 'help: every key', scope: 'global', isDangerous: false, hint: 'help'},
	{id: 'down', keys: ['j', 'down'], description: 'select next member', scope: 'dashboard', isDangerous: false},
	{id: 'up', keys: ['k', 'up'], description: 'select previous member', scope: 'dashboard', isDangerous: false},
	{id: 'details', keys: ['enter'], description: 'member details', scope: 'dashboard', isDangerous: false, hint: 'details'},
	{id: 'pause', keys: ['p'], description: 'pause / resume polling', scope: 'global', isDangerous: false, hint: 'pause'},
	{id: 'refresh', keys: ['r'], description: 'refresh now', scope: 'global', isDangerous: false, hint: 'refresh'},
	{id: 'slower', keys: ['+'], description: 'longer poll interval', scope: 'global', isDangerous: false},
	{id: 'faster', keys: ['-'], description: 'shorter poll interval', scope: 'global', isDangerous: false},
	{id: 'dashboard', keys: ['1'], description: 'dashboard pane', scope: 'global', isDangerous: false, hint: 'dashboard'},
	{id: 'snapshots', keys: ['2'], description: 'snapshots pane', scope: 'global', isDangerous: false, hint: 'snapshots'},
	{id: 'snapshot-down', keys: ['j', 'down'], description: 'select next snapshot', scope: 'snapshots', isDangerous: false},
	{id: 'snapshot-up', keys: ['k', 'up'], description: 'select previous snapshot', scope: 'snapshots', isDangerous: false},
	{id: 'snapshot-save', keys: ['s'], description: 'save a snapshot now', scope: 'snapshots', isDangerous: false, hint: 'save'},
	{id: 'snapshot-verify', keys: ['v'], description: 'verify snapshot', scope: 'snapshots', isDangerous: false, hint: 'verify'},
	{id: 'snapshot-delete', keys: ['d'], description: 'delete snapshot (typed)', scope: 'snapshots', isDangerous: true, hint: 'delete'},
	{id: 'snapshot-details', keys: ['enter'], description: 'details, restore plan', scope: 'snapshots', isDangerous: false, hint: 'details'},
	{id: 'log', keys: ['3'], description: 'event and command log', scope: 'global', isDangerous: false, hint: 'log'},
	{id: 'close', keys: ['escape'], description: 'close the overlay', scope: 'modal', isDangerous: false},
	{id: 'replace-member', keys: ['R'], description: 'replace failed member', scope: 'dashboard', isDangerous: true, hint: 'replace'},
	{id: 'add-member', keys: ['a'], description: 'add a member', scope: 'dashboard', isDangerous: true},
	{id: 'remove-member', keys: ['D'], description: 'remove member', scope: 'dashboard', isDangerous: true},
	{id: 'move-leader', keys: ['L'], description: 'move leadership here', scope: 'dashboard', isDangerous: true},
];

export interface KeymapOptions {
	readonly isReadOnly: boolean;
}

/** The one keymap: the hint bar, the ? overlay and the readme's key table all come from it. */
export function buildKeymap({isReadOnly}: KeymapOptions): readonly KeyAction[] {
	return actions.filter(action => !(isReadOnly && action.isDangerous));
}

/** Ink's (input, key) pair as one name: "q", "ctrl+c", "enter", "up", "escape", "?". */
export interface InkKey {
	readonly upArrow?: boolean;
	readonly downArrow?: boolean;
	readonly return?: boolean;
	readonly escape?: boolean;
	readonly ctrl?: boolean;
	readonly tab?: boolean;
	readonly backspace?: boolean;
	readonly delete?: boolean;
}

export function keyName(input: string, key: InkKey): string {
	if (key.upArrow) return 'up';
	if (key.downArrow) return 'down';
	if (key.return) return 'enter';
	if (key.escape) return 'escape';
	if (key.tab) return 'tab';
	if (key.backspace || key.delete) return 'backspace';
	if (key.ctrl) return `ctrl+${input}`;
	return input;
}

export function findAction(keymap: readonly KeyAction[], name: string, scopes: readonly Scope[]): KeyAction | undefined {
	return keymap.find(action => scopes.includes(action.scope) && action.keys.includes(name));
}

export function formatKeys(action: KeyAction): string {
	return action.keys.join('/');
}

/** The readme's key table, generated here so the two cannot drift apart (a test compares them). */
export function keyTableMarkdown(keymap: readonly KeyAction[]): string {
	const rows = keymap.map(action => `| ${action.keys.map(key => `\`${key}\``).join(' ')} | ${action.description} | ${action.scope}${action.isDangerous ? ', changes the cluster (absent with --read-only)' : ''} |`);
	return ['| keys | action | where |', '| --- | --- | --- |', ...rows].join('\n');
}
