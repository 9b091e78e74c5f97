import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {isShownEscaped, visibleLine, visibleText} from '../../source/model/visible-text.js';
import {parse as parseYaml} from 'yaml';
import {kubeadmPodLines} from '../../source/console/member-ops.js';
import {commandText, disarmCommand, etcdctl, printedYamlScalar, startSettings} from '../../source/ops/commands.js';
import {startSettingsLines} from '../../source/ops/member-settings.js';
import {buildRestorePlan, renderRestorePlan, restorePlanLines} from '../../source/snapshot/restore-plan.js';
import {quotePrintedArg, quoteShellArg} from '../../source/ssh/quote.js';

// A member name with control bytes is printed inside shell commands (restore plan, start settings) in
// bash's ANSI-C quoting: visible on screen, and the original name when the command is pasted into bash.

const raw = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const hostile = "evil\u001B]0;owned\u0007\u001B[2J\u202Egnp.db\u0085 it's a\\b\ttab\nline";

/**
 * What bash makes of pasted command lines: each line's words after expansion (LC_ALL=C.UTF-8: \u escapes
 * become UTF-8). One bash reads them all, each line's words followed by a marker no word here contains.
 */
function bashWords(lines: readonly string[]): string[][] {
	const marker = 'END-OF-LINE-7f3a';
	const script = lines.map(line => `printf '%s\\0' ${line}\nprintf '%s\\0' ${marker}`).join('\n');
	const result = spawnSync('bash', ['-c', script], {encoding: 'utf8', env: {PATH: process.env.PATH, LC_ALL: 'C.UTF-8'}});
	assert.equal(result.status, 0, result.stderr);
	const words = result.stdout.split('\0').slice(0, -1);
	const out: string[][] = [[]];
	for (const word of words) if (word === marker) out.push([]);
	else out.at(-1)!.push(word);
	assert.equal(out.length, lines.length + 1, 'every line was read');
	return out.slice(0, -1);
}

test('quotePrintedArg: plain words as quoteShellArg; escapable characters as $\'…\', pasted back byte for byte', () => {
	for (const plain of ['etcd-1', 'a b', "it's", '$(rm -rf /)', '']) assert.equal(quotePrintedArg(plain, isShownEscaped), quoteShellArg(plain));
	const values = [hostile, '\u001B', "'\\\u0007'", '\u202E\u2066x\u0085\u009B31m', 'a\u007Fz1f'];
	const printed = values.map(value => quotePrintedArg(value, isShownEscaped));
	for (const line of printed) {
		assert.ok(line.startsWith("$'"), line);
		assert.doesNotMatch(line, raw, 'no raw control byte in the printed form');
		assert.doesNotMatch(line, /[\n\t]/);
		// The sanitizer leaves it alone: what is on screen is what is pasted.
		assert.equal(visibleLine(line), line);
	}
	const pasted = bashWords(printed);
	values.forEach((value, index) => {
		assert.deepEqual(pasted[index], [value]);
		assert.equal(Buffer.from(pasted[index]![0]!, 'utf8').equals(Buffer.from(value, 'utf8')), true);
	});
	assert.throws(() => quotePrintedArg('a\0b', isShownEscaped), RangeError);
});

const members = [
	{name: hostile, id: 'a1', peerUrls: ['http://10.0.0.1:2380'], clientUrls: ['http://10.0.0.1:2379'], isLearner: false},
	{name: 'etcd-2', id: 'a2', peerUrls: ['http://10.0.0.2:2380'], clientUrls: ['http://10.0.0.2:2379'], isLearner: false},
];

test('restore plan: the hostile name\'s commands, as printed and as wrapped, paste back as the plan\'s argv', () => {
	const plan = buildRestorePlan({snapshotPath: '/snaps/a.db', isEncrypted: false, dataDir: '/var/lib/etcd-restored/{name}', members, etcdVersion: '3.5.30', token: 'etcd-restore-ab', membersFrom: 'live'});
	// Prose names the member too: the output surface sanitizes it (visibleText); the commands need nothing.
	const text = visibleText(renderRestorePlan(plan));
	const steps = plan.phases.flatMap(phase => phase.steps).filter(step => step.argv && step.argv.join('\n').includes(hostile));
	assert.ok(steps.length >= 2, 'the restore and start commands carry the name');
	for (const step of steps) {
		assert.doesNotMatch(step.command!, raw);
		assert.ok(text.includes(step.command!), 'printed as is');
	}
	const lines = restorePlanLines(plan, 100).map(line => visibleLine(line));
	const prefix = `   [${visibleLine(hostile)}] `;
	const start = lines.findIndex(line => line.startsWith(prefix) && line.includes('snapshot restore'));
	assert.ok(start >= 0, lines.join('\n'));
	const end = lines.findIndex((line, index) => index >= start && !line.endsWith('\\'));
	const pasted = lines.slice(start, end + 1).join('\n').slice(prefix.length);
	const restore = steps.find(step => step.argv!.includes('restore'))!;
	const words = bashWords([...steps.map(step => step.command!), pasted]);
	assert.deepEqual(words.slice(0, -1), steps.map(step => step.argv));
	assert.deepEqual(words.at(-1), restore.argv);
});

test('start settings: the export lines and the etcd flags line paste back as the original values', () => {
	const settings = startSettings(members, {name: 'newcomer', peerUrls: ['http://10.0.0.3:2380'], clientUrls: ['http://10.0.0.3:2379']});
	const lines = startSettingsLines(settings, {hasStartCommand: false, context: {dataDir: '/var/lib/etcd'}});
	const exported = lines.find(line => line.trim().startsWith('export ETCD_INITIAL_CLUSTER='))!;
	assert.doesNotMatch(exported, raw);
	const value = exported.trim().slice('export ETCD_INITIAL_CLUSTER='.length);
	const flagsLine = lines[lines.indexOf('  as etcd flags:') + 1]!.trim();
	assert.doesNotMatch(flagsLine, raw);
	assert.equal(visibleLine(flagsLine), flagsLine);
	assert.deepEqual(bashWords([value, flagsLine]), [[settings.env.ETCD_INITIAL_CLUSTER], ['etcd', ...settings.flags, '--data-dir=/var/lib/etcd']]);
});

test('etcdctl lines (member changes, maintenance) paste back as their argv and show no control byte', () => {
	const connection = {endpoints: ['http://10.0.0.1:2379'], user: `ops\u001B[2J`};
	const lines: Array<readonly [string, readonly string[]]> = [
		[commandText(etcdctl.memberAdd(connection, hostile, ['http://10.0.0.3:2380'], true)), etcdctl.memberAdd(connection, hostile, ['http://10.0.0.3:2380'], true)],
		[commandText(etcdctl.defrag(connection, 'http://10.0.0.1:2379', 30_000)), etcdctl.defrag(connection, 'http://10.0.0.1:2379', 30_000)],
		[commandText(etcdctl.compact(connection, 'http://10.0.0.1:2379', 42)), etcdctl.compact(connection, 'http://10.0.0.1:2379', 42)],
		[disarmCommand(connection, 'http://10.0.0.1:2379').replace(/ +# NOSPACE only$/, ''), etcdctl.alarmDisarm(connection, 'http://10.0.0.1:2379')],
	];
	for (const [line] of lines) {
		assert.doesNotMatch(line, raw, line);
		assert.doesNotMatch(line, /[\n\t]/);
		assert.equal(visibleLine(line), line, 'the screen shows what is pasted');
	}
	assert.deepEqual(
		bashWords(lines.map(([line]) => line)),
		lines.map(([, argv]) => argv),
	);
	// Plain argv stays as it was: POSIX single quotes only where needed.
	assert.equal(commandText(etcdctl.memberRemove({endpoints: ['http://10.0.0.1:2379']}, '8e9e05c52164694d')), 'etcdctl --endpoints=http://10.0.0.1:2379 member remove 8e9e05c52164694d');
	assert.equal(commandText(['etcdctl', 'member', 'add', "it's"]), `etcdctl member add 'it'\\''s'`);
});

test('kubeadm static pod lines: a YAML double-quoted scalar with visible escapes, read back by a YAML parser as the exact flag', () => {
	const settings = startSettings(members, {name: hostile, peerUrls: ['http://[fd00::3]:2380'], clientUrls: ['http://10.0.0.3:2379']});
	const podLines = kubeadmPodLines({source: 'etcd-pod', dataDir: '/var/lib/etcd\u202E', serverCertFile: '/etc/kubernetes/pki/etcd/server.crt'} as Parameters<typeof kubeadmPodLines>[0]);
	const lines = [...startSettingsLines(settings, {hasStartCommand: false}).filter(line => line.startsWith('    - ')), ...podLines];
	assert.equal(lines.length, settings.flags.length + 2);
	for (const line of lines) {
		assert.doesNotMatch(line, raw, line);
		assert.equal(visibleLine(line), line, 'the screen shows what is copied');
	}
	const parsed = parseYaml(`command:\n${lines.join('\n')}\n`) as {command: string[]};
	assert.deepEqual(parsed.command, [...settings.flags, '--data-dir=/var/lib/etcd\u202E', '--cert-file=/etc/kubernetes/pki/etcd/server.crt']);
	// A flag of safe characters stays plain, as before; one YAML would read as a key is quoted.
	assert.equal(printedYamlScalar('--initial-cluster-state=existing'), '--initial-cluster-state=existing');
	assert.equal(printedYamlScalar('--name=a:'), '"--name=a:"');
	assert.deepEqual((parseYaml(`- ${printedYamlScalar('--name=a: #b "c" \\d')}`) as string[])[0], '--name=a: #b "c" \\d');
	assert.match(printedYamlScalar('--name=h\u001B]0;t\u0007'), /^"--name=h\\x1b\]0;t\\x07"$/);
});
