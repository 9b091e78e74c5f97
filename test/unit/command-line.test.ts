import assert from 'node:assert/strict';
import {test} from 'node:test';
import {parseCommandLine} from '../../source/commands/argv.js';
import {flagSpecs, spellingOf, type FlagKey} from '../../source/commands/flags.js';
import {commandHelp, globalHelp} from '../../source/commands/help.js';
import {commands} from '../../source/commands/table.js';
import {configError} from '../helpers/config-error.js';

function run(argv: readonly string[]) {
	const line = parseCommandLine(argv);
	assert.equal(line.kind, 'run', argv.join(' '));
	return line as Extract<typeof line, {kind: 'run'}>;
}

test('each command takes only its own flags: a misplaced one is exit 3, naming the flag and who takes it', () => {
	const cases: ReadonlyArray<[readonly string[], string, RegExp]> = [
		[['status', '--keep', '3', '--from', 'x', '--new-name', 'y'], '--keep', /status does not take this flag \(the console, snapshot save, snapshot prune take it/],
		[['status', '--from', 'x'], '--from', /snapshot save, usage take it/],
		[['compact', '--rule', 'x'], '--rule', /compact does not take this flag \(defrag takes it/],
		[['snapshot', 'save', 'a.db', '--snapshot-every', '1h'], '--snapshot-every', /snapshot save does not take this flag \(the console takes it/],
		[['demo', '--endpoints', 'h:1'], '--endpoints', /demo does not take this flag/],
		[['demo', '--via', 'bastion'], '--via', /demo does not take this flag/],
		[['member', 'promote', 'etcd-2', '--start-command', 'x'], '--start-command', /member replace, member add take it/],
		[['member', 'replace', 'etcd-2', '--peer-url', 'http://h:1'], '--peer-url', /member add takes it/],
		[['member', 'remove', 'etcd-2', '--no-learner'], '--no-learner', /member remove does not take this flag/],
		[['snapshot', 'status', 'a.db', '--endpoints', 'h:1'], '--endpoints', /snapshot status does not take this flag/],
		[['--write-out', 'json'], '--write-out', /the console does not take this flag/],
		[['snapshot', 'restore-plan', 'a.db', '--via', 'h'], '--via', /snapshot restore-plan does not take this flag/],
	];
	for (const [argv, input, problem] of cases) {
		const error = configError(() => parseCommandLine(argv));
		assert.equal(error.input, input, argv.join(' '));
		assert.match(error.message, problem, argv.join(' '));
	}
});

test('unknown commands, flags and operands are exit 3 with the usage', () => {
	const cases: ReadonlyArray<[readonly string[], string, RegExp]> = [
		[['status', '--bogus'], '--bogus', /unknown flag/],
		[['frobnicate'], 'frobnicate', /unknown command/],
		[['member'], 'member', /an action is needed/],
		[['member', 'explode', 'x'], 'member', /unknown action "explode"/],
		[['snapshot'], 'snapshot', /an action is needed/],
		[['snapshot', 'status'], 'snapshot status', /FILE is missing/],
		[['snapshot', 'save', 'a', 'b'], 'snapshot save', /unexpected argument "b"/],
		[['status', 'extra'], 'status', /unexpected argument "extra"/],
		[['member', 'replace'], 'member replace', /FAILED is missing/],
	];
	for (const [argv, input, problem] of cases) {
		const error = configError(() => parseCommandLine(argv));
		assert.equal(error.input, input, argv.join(' '));
		assert.match(error.problem, problem, argv.join(' '));
	}
});

test('flags reach the command as before: short forms, negations, repeats, operands', () => {
	const status = run(['status', '-w', 'json', '--no-discover', '--endpoints', 'h:1']);
	assert.equal(status.command.name, 'status');
	assert.deepEqual(status.flags, {writeOut: 'json', discover: false, endpoints: 'h:1'});
	const save = run(['snapshot', 'save', 'a.db', '--encrypt-to', 'age1x', '--encrypt-to', 'age1y', '--overwrite']);
	assert.equal(save.command.name, 'snapshot save');
	assert.deepEqual(save.args, ['a.db']);
	assert.deepEqual(save.flags.encryptTo, ['age1x', 'age1y']);
	assert.equal(save.flags.overwrite, true);
	assert.deepEqual(run(['snapshot', 'save']).args, []);
	assert.equal(run(['member', 'replace', 'etcd-3', '--no-learner']).flags.learner, false);
	assert.equal(run(['member', 'add', 'etcd-4', '--learner', '--peer-url', 'http://h:1']).flags.learner, true);
	assert.equal(run(['--read-only']).command.name, '');
	assert.equal(run([]).command.name, '');
});

test('help is generated per command from the declarations', () => {
	const status = parseCommandLine(['status', '--help']);
	assert.equal(status.kind, 'help');
	const text = (status as {text: string}).text;
	assert.match(text, /etcdtop status \[flags\]/);
	assert.match(text, /--probe-timeout DURATION/);
	assert.doesNotMatch(text, /--keep|--new-name|--from/);
	const everything = globalHelp();
	for (const key of Object.keys(flagSpecs) as FlagKey[]) assert.ok(everything.includes(spellingOf(key)), `${spellingOf(key)} is missing from --help`);
	for (const command of commands) {
		assert.ok(everything.includes(`$ etcdtop ${command.name}`.trimEnd()), command.name);
		const own = commandHelp(command);
		for (const key of command.flags) assert.ok(own.includes(spellingOf(key)), `${command.name}: ${spellingOf(key)}`);
		assert.ok(own.split('\n').every(line => line.length <= 104), `${command.name}: a help line is wider than 104 columns`);
	}
	assert.equal((parseCommandLine(['--help']) as {text: string}).text, everything);
});

test('every declared flag is taken by some command', () => {
	const taken = new Set(commands.flatMap(command => command.flags));
	for (const key of Object.keys(flagSpecs) as FlagKey[]) assert.ok(taken.has(key), `${spellingOf(key)} is declared but no command takes it`);
});

test('a value that starts with a dash is the flag’s value, as etcdctl reads it', () => {
	const line = parseCommandLine(['status', '--dial-timeout', '-1s', '-w', 'json']);
	assert.equal(line.kind, 'run');
	if (line.kind === 'run') {
		assert.equal(line.flags.dialTimeout, '-1s');
		assert.equal(line.flags.writeOut, 'json');
	}
	const short = parseCommandLine(['status', '-w', '-x']);
	assert.equal(short.kind === 'run' && short.flags.writeOut, '-x');
});
