/** Ink's (input, key) pair, as much of it as the console reads. */
export interface InkKey {
	readonly upArrow?: boolean;
	readonly downArrow?: boolean;
	readonly return?: boolean;
	readonly escape?: boolean;
	readonly ctrl?: boolean;
	readonly meta?: boolean;
	readonly tab?: boolean;
	readonly backspace?: boolean;
	readonly delete?: boolean;
}

/** One key as the keymap names it ("q", "ctrl+c", "enter", "escape", "up"), and the text it types, if any. */
export interface KeyPress {
	readonly name: string;
	readonly text: string;
}

/** Ink's (input, key) pair as one name: "q", "ctrl+c", "enter", "up", "escape", "?". */
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

function controlName(char: string): string | undefined {
	if (char === '\r' || char === '\n') return 'enter';
	if (char === '\u007F' || char === '\b') return 'backspace';
	return undefined;
}

/**
 * The one place a chunk of input becomes key presses. Keys typed faster than the terminal is read, a paste
 * or tmux send-keys arrive as one chunk ("3q", "etcd-4\r"), which Ink hands over as one input.
 *   - `keys`: outside text entry every character is its own key.
 *   - `text`: in a field, runs of text stay together; line endings are enter and DEL/BS are backspace.
 */
export function splitKeys(input: string, key: InkKey, mode: 'keys' | 'text'): readonly KeyPress[] {
	const isPlain = !key.ctrl && !key.meta && !key.tab;
	if (input.length <= 1 || !isPlain) {
		const name = keyName(input, key);
		const control = input.length === 1 && isPlain ? controlName(input) : undefined;
		if (control) return [{name: control, text: ''}];
		return [{name, text: isPlain && name === input ? input : ''}];
	}
	const presses: KeyPress[] = [];
	let run = '';
	const flush = () => {
		if (run !== '') presses.push({name: run, text: run});
		run = '';
	};
	for (const char of input) {
		const control = controlName(char);
		if (control) {
			flush();
			presses.push({name: control, text: ''});
		} else if (char < ' ' || char === '\u001B') {
			flush();
		} else if (mode === 'keys') {
			presses.push({name: char, text: char});
		} else {
			run += char;
		}
	}
	flush();
	return presses;
}

/**
 * Keys for a view that reads its own input: it listens from its first effect, which runs after its
 * first frame is on the screen, so keys typed as soon as it shows (or in the same chunk as the key that
 * opened it) would reach nobody. The console holds them here until the view opens the inbox, which
 * hands them over in order; closing drops what nobody will read.
 */
export class KeyInbox {
	private held: KeyPress[] = [];
	private reader: ((press: KeyPress) => void) | undefined;

	get isOpen(): boolean {
		return this.reader !== undefined;
	}

	hold(press: KeyPress): void {
		this.held.push(press);
	}

	open(reader: (press: KeyPress) => void): void {
		this.reader = reader;
		const held = this.held;
		this.held = [];
		for (const press of held) reader(press);
	}

	close(): void {
		this.reader = undefined;
		this.held = [];
	}
}
