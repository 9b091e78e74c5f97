import {visibleLine} from './visible-text.js';

/**
 * The one typed confirmation: before anything destructive (a member removal, a snapshot deletion) the
 * operator types the exact name. Enter on anything else cancels, as escape does: cancel is the default.
 */
export interface TypedConfirmation {
	readonly expected: string;
	readonly typed: string;
}

export type TypedInput = {readonly type: 'text'; readonly text: string} | {readonly type: 'backspace'} | {readonly type: 'submit'} | {readonly type: 'cancel'};

export type TypedOutcome = 'typing' | 'confirmed' | 'cancelled';

export function startTyped(expected: string): TypedConfirmation {
	return {expected, typed: ''};
}

/**
 * The CLI's prompt and the console's field decide alike. A name with control bytes is shown, and may be
 * typed, as its visible escapes (a terminal cannot type an ESC into a field).
 */
export function isTypedMatch(typed: string, expected: string): boolean {
	return typed === expected || typed === visibleLine(expected);
}

export function reduceTyped(state: TypedConfirmation, input: TypedInput): {readonly state: TypedConfirmation; readonly outcome: TypedOutcome} {
	switch (input.type) {
		case 'text':
			// Only printable text is typed; a control byte in a paste is dropped, not shown.
			return {state: {...state, typed: state.typed + [...input.text].filter(char => char >= ' ' && char !== '\u007F').join('')}, outcome: 'typing'};
		case 'backspace':
			return {state: {...state, typed: [...state.typed].slice(0, -1).join('')}, outcome: 'typing'};
		case 'submit':
			return {state, outcome: isTypedMatch(state.typed, state.expected) ? 'confirmed' : 'cancelled'};
		case 'cancel':
			return {state, outcome: 'cancelled'};
	}
}
