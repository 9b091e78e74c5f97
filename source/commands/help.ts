// `etcdtop --help`, `etcdtop COMMAND --help` and the readme's flag table, generated from the declarations
// in flags.ts and table.ts: a flag or a command cannot be added without its help.
import {flagSections, flagSpecs, spellingOf, type FlagKey, type FlagSection, type FlagSpec} from './flags.js';
import {commands, flagsOf, type CommandSpec} from './table.js';

const width = 104;
const flagColumn = 38;

/** How a command is named in messages and tables. */
export function commandTitle(command: CommandSpec): string {
	return command.name === '' ? 'the console' : command.name;
}

function usageOf(command: CommandSpec): string {
	const operands = command.operands.map(operand => (operand.endsWith('?') ? `[${operand.slice(0, -1)}]` : operand));
	return ['etcdtop', command.name, ...operands, '[flags]'].filter(Boolean).join(' ');
}

function plain(markdown: string): string {
	return markdown.replaceAll('`', '');
}

function wrap(text: string, indent: number, first: string): string[] {
	const lines: string[] = [];
	let line = first.padEnd(indent);
	if (first.length >= indent && first.trim() !== '') {
		lines.push(first);
		line = ' '.repeat(indent);
	}
	for (const word of text.split(' ')) {
		if (line.trim() !== '' && line.length + word.length + 1 > width && line.length > indent) {
			lines.push(line.trimEnd());
			line = ' '.repeat(indent);
		}
		line += line.length > indent ? ` ${word}` : word;
	}
	lines.push(line.trimEnd());
	return lines;
}

function flagLabel(key: FlagKey): string {
	const spec: FlagSpec = flagSpecs[key];
	const long = `${spellingOf(key)}${spec.value ? ` ${spec.value}` : ''}`;
	return spec.shortFlag ? `-${spec.shortFlag}, ${long}` : long;
}

function flagLines(key: FlagKey): string[] {
	const spec: FlagSpec = flagSpecs[key];
	// A boolean's default is the absence of the flag; its help says what the flag changes.
	const fallback = spec.default && spec.type === 'string' ? ` (default: ${plain(spec.default)})` : '';
	return wrap(`${plain(spec.help)}${fallback}`, flagColumn, `    ${flagLabel(key)}`);
}

function flagSectionsText(keys: readonly FlagKey[]): string[] {
	const lines: string[] = [];
	for (const section of Object.keys(flagSections) as FlagSection[]) {
		const inSection = keys.filter(key => (flagSpecs[key] as FlagSpec).section === section);
		if (inSection.length === 0) continue;
		lines.push('', `  ${flagSections[section]}`, ...inSection.flatMap(flagLines));
	}
	return lines;
}

const exitCodes = wrap(
	'Exit codes: 0 healthy (or done), 1 degraded (or a save or check that failed), 2 alarm, no leader, no quorum or unreachable (also: the --via host is unreachable, "tunnel down"), 3 bad usage or configuration, or an SSH host key or authentication problem: the message names the flag or file and the fix.',
	2,
	'  ',
);

/** `etcdtop --help`: every command, then every flag by section. */
export function globalHelp(): string {
	const all = [...new Set(commands.flatMap(flagsOf))];
	const ordered = (Object.keys(flagSpecs) as FlagKey[]).filter(key => all.includes(key));
	return [
		'',
		'  Usage',
		...commands.flatMap(command => wrap(command.summary, flagColumn, `    $ ${usageOf(command)}`)),
		'',
		'  etcdtop COMMAND --help shows the flags one command takes; a flag it does not take is exit 3.',
		...flagSectionsText(ordered),
		'',
		...exitCodes,
		'',
	].join('\n');
}

/** `etcdtop COMMAND --help`: its usage, what it does, and only the flags it takes. */
export function commandHelp(command: CommandSpec): string {
	return [
		'',
		'  Usage',
		`    $ ${usageOf(command)}`,
		'',
		...wrap(command.summary, 2, '  '),
		...(command.details ? wrap(command.details, 2, '  ') : []),
		...flagSectionsText(flagsOf(command)),
		'',
		...exitCodes,
		'',
	].join('\n');
}

/** Names a set of commands: `member *` when every member command is among them. */
export function commandNames(takers: readonly CommandSpec[], consoleName = 'the console'): string[] {
	const names: string[] = [];
	for (const command of takers) {
		const [group] = command.name.split(' ');
		const siblings = command.name.includes(' ') ? commands.filter(other => other.name.startsWith(`${group} `)) : [];
		const isEveryOne = siblings.length > 1 && siblings.every(sibling => takers.includes(sibling));
		const name = isEveryOne ? `${group} *` : command.name || consoleName;
		if (!names.includes(name)) names.push(name);
	}
	return names;
}

function takersOf(key: FlagKey): string {
	return commandNames(commands.filter(command => flagsOf(command).includes(key)), 'console')
		.map(text => `\`${text}\``)
		.join(', ');
}

/** The readme's flag table: one row per flag, with the commands that take it. */
export function flagTableMarkdown(): string {
	const rows = (Object.keys(flagSpecs) as FlagKey[]).map(key => {
		const spec: FlagSpec = flagSpecs[key];
		const label = spec.shortFlag ? `\`-${spec.shortFlag}\`, \`${spellingOf(key)}\`` : `\`${spellingOf(key)}\``;
		return `| ${label} | ${spec.default ?? ''} | ${takersOf(key)} | ${spec.help} |`;
	});
	return ['| flag | default | commands | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
