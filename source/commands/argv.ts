import meow from 'meow';
import {ConfigError} from '../config/errors.js';
import {packageInfo, versionLine} from '../package-info.js';
import {flagSpecs, kebabFlag, meowFlags, nameOf, type FlagKey, type ParsedFlags} from './flags.js';
import {commandHelp, commandNames, commandTitle, globalHelp} from './help.js';
import {commands, flagsOf, type CommandSpec} from './table.js';

/** What the command line asks for: a help text to print, or a command with its operands and checked flags. */
export type CommandLine =
	| {readonly kind: 'help'; readonly text: string}
	| {readonly kind: 'run'; readonly command: CommandSpec; readonly args: readonly string[]; readonly flags: ParsedFlags};

const groups = [...new Set(commands.filter(command => command.name.includes(' ')).map(command => command.name.split(' ')[0]!))];

const wordsOf = (command: CommandSpec) => (command.name === '' ? [] : command.name.split(' '));

function findCommand(input: readonly string[]): {command: CommandSpec; args: readonly string[]} {
	let best: CommandSpec | undefined;
	for (const command of commands) {
		const words = wordsOf(command);
		if (words.length > input.length || words.some((word, index) => input[index] !== word)) continue;
		if (!best || words.length > wordsOf(best).length) best = command;
	}
	// The console takes no operands: a word that names no command is an unknown command, not an operand.
	if (best && (best.name !== '' || input.length === 0)) return {command: best, args: input.slice(wordsOf(best).length)};
	const [first, action] = input;
	if (groups.includes(first!)) {
		const actions = commands.filter(command => command.name.startsWith(`${first} `)).map(command => command.name.slice(first!.length + 1));
		const usage = `use: etcdtop ${first} ${actions.join('|')}; see etcdtop ${first} ACTION --help`;
		throw new ConfigError(first!, action === undefined ? 'an action is needed' : `unknown action "${action}"`, usage);
	}
	const names = [...new Set(commands.filter(command => command.name !== '').map(command => command.name.split(' ')[0]!))];
	throw new ConfigError(first!, 'unknown command', `use ${names.join(', ')}, or no command for the console; see etcdtop --help`);
}

/** How the flag was written: `--no-learner` for a boolean turned off, `--write-out` for `-w`. */
function writtenAs(name: string, value: unknown): string {
	return value === false ? `--no-${kebabFlag(name).slice(2)}` : kebabFlag(name);
}

function isGiven(value: unknown): boolean {
	return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

/** The commands that take a flag name, for the message when it is misplaced. */
export function commandsTaking(name: string): readonly CommandSpec[] {
	return commands.filter(command => flagsOf(command).some(key => nameOf(key) === name));
}

function checkFlags(command: CommandSpec, flags: Record<string, unknown>): ParsedFlags {
	const known = new Set((Object.keys(flagSpecs) as FlagKey[]).map(nameOf));
	const taken = new Set(flagsOf(command).map(nameOf));
	for (const [name, value] of Object.entries(flags)) {
		if (!isGiven(value) || name === 'help') continue;
		if (!known.has(name)) throw new ConfigError(writtenAs(name, value), 'unknown flag', 'see etcdtop --help');
		if (!taken.has(name)) {
			const takers = commandNames(commandsTaking(name));
			throw new ConfigError(writtenAs(name, value), `${commandTitle(command)} does not take this flag`, `${takers.join(', ')} ${takers.length === 1 ? 'takes' : 'take'} it; see etcdtop ${command.name ? `${command.name} ` : ''}--help`);
		}
	}
	return Object.freeze(Object.fromEntries(Object.entries(flags).filter(([name, value]) => name !== 'help' && isGiven(value)))) as ParsedFlags;
}

function checkOperands(command: CommandSpec, args: readonly string[]): void {
	const usage = `use: etcdtop ${command.name} ${command.operands.map(operand => (operand.endsWith('?') ? `[${operand.slice(0, -1)}]` : operand)).join(' ')}`.trimEnd();
	const required = command.operands.filter(operand => !operand.endsWith('?'));
	if (args.length < required.length) throw new ConfigError(command.name, `${required[args.length]} is missing`, usage);
	if (args.length > command.operands.length) {
		throw new ConfigError(command.name || args[0]!, command.name ? `unexpected argument "${args[command.operands.length]}"` : 'unknown command', command.operands.length === 0 && command.name ? `${command.name} takes only flags` : usage);
	}
}

/**
 * `--dial-timeout -1s` as etcdctl reads it: a flag that takes a value takes the next argument, even one
 * that starts with a dash, which meow would otherwise read as a flag of its own (`--1`). Such pairs are
 * joined into `--name=value` before meow sees them, so the value reaches the flag's own check.
 */
function withJoinedValues(argv: readonly string[], specs: ReturnType<typeof meowFlags>): string[] {
	const takesValue = new Set<string>();
	for (const [name, spec] of Object.entries(specs)) {
		if (spec.type !== 'string') continue;
		takesValue.add(kebabFlag(name));
		if (spec.shortFlag) takesValue.add(`-${spec.shortFlag}`);
	}
	const joined: string[] = [];
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') {
			joined.push(...argv.slice(index));
			break;
		}
		const next = argv[index + 1];
		if (takesValue.has(arg) && next !== undefined && next.startsWith('-') && !next.startsWith('--')) {
			joined.push(`${arg}=${next}`);
			index++;
		} else {
			joined.push(arg);
		}
	}
	return joined;
}

/**
 * argv -> the command to run with its flags, or a help text. An unknown command, an unknown flag, a flag the
 * command does not take, or a missing or extra operand is a ConfigError (exit 3) naming it.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
	const specs = meowFlags();
	// meow answers a bare --version itself; help is ours, per command.
	const cli = meow('', {importMeta: import.meta, pkg: packageInfo, version: versionLine, argv: withJoinedValues(argv, specs), autoHelp: false, allowUnknownFlags: true, booleanDefault: undefined, flags: {...specs, help: {type: 'boolean'}}});
	const flags = cli.flags as Record<string, unknown>;
	if (flags['help'] === true) {
		if (cli.input.length === 0) return {kind: 'help', text: globalHelp()};
		return {kind: 'help', text: commandHelp(findCommand(cli.input).command)};
	}
	const {command, args} = findCommand(cli.input);
	const checked = checkFlags(command, flags);
	checkOperands(command, args);
	return {kind: 'run', command, args, flags: checked};
}
