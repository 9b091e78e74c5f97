import {Box} from 'ink';
import type {ReactNode} from 'react';
import type {TypedConfirmation, TypedInput} from '../../model/typed-confirmation.js';
import {actionById, findAction, formatKeys, type Keymap} from '../keymap.js';
import type {KeyPress} from '../keys.js';
import {color} from '../theme.js';
import {Text} from './text.js';

/**
 * One key press as the typed confirmation's input, through the keymap's confirm actions (enter, escape);
 * text is never a key, so a pasted word "enter" is typed, not pressed. The owner of the keyboard (the
 * console, the member wizard) calls this from its own always-listening input handler, so no key typed
 * while the confirmation appears is lost.
 */
export function confirmInputOf(keymap: Keymap, press: KeyPress): TypedInput | undefined {
	const action = press.text === '' ? findAction(keymap, 'confirm', press.name, ['typed confirmation']) : undefined;
	if (action) {
		let input: TypedInput | undefined;
		action.run({submit: () => (input = {type: 'submit'}), cancel: () => (input = {type: 'cancel'})});
		return input;
	}
	if (press.name === 'backspace') return {type: 'backspace'};
	if (press.text !== '') return {type: 'text', text: press.text};
	return undefined;
}

export interface TypedConfirmationProps {
	readonly keymap: Keymap;
	readonly confirmation: TypedConfirmation;
	/** "remove it", "delete it": what enter does on a match. */
	readonly verb: string;
	/** What will happen, and the exact command, above the field. */
	readonly children?: ReactNode;
}

/** The one typed confirmation's screen (member removal in the wizard, snapshot deletion). */
export function TypedConfirmationView({keymap, confirmation, verb, children}: TypedConfirmationProps) {
	const submit = actionById(keymap, 'confirm-submit');
	const cancel = actionById(keymap, 'confirm-cancel');
	return (
		<Box flexDirection="column">
			{children}
			<Text color={color('warn')}>
				type &quot;{confirmation.expected}&quot; and {submit ? formatKeys(submit, 1) : 'enter'} to {verb} ({cancel ? formatKeys(cancel, 1) : 'esc'} cancels): <Text bold>{confirmation.typed}</Text>
				<Text inverse> </Text>
			</Text>
		</Box>
	);
}
