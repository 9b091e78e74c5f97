import assert from 'node:assert/strict';
import {test} from 'node:test';
import {wrapWords} from '../../source/model/format.js';
import {buildRestorePlan, restorePlanLines, wrapCommand} from '../../source/snapshot/restore-plan.js';
import {quoteShellArg} from '../../source/ssh/quote.js';

/** What a POSIX shell makes of pasted lines: backslash-newlines removed, then words split at blanks (no quoted blanks here). */
const pasted = (lines: readonly string[]) => lines.join('\n').replaceAll('\\\n', '').trim().split(/\s+/);

const members = [1, 2, 3, 4, 5].map(index => ({name: `etcd-${index}`, id: `a${index}`, peerUrls: [`https://10.0.0.${index}:2380`], clientUrls: [`https://10.0.0.${index}:2379`], isLearner: false}));

test('a command wraps between its words with " \\" and pastes back as the same argv, at 80 and 120 columns', () => {
	const argv = ['etcdutl', 'snapshot', 'restore', '/var/backups/etcd/etcd-snapshot-2026-12-06T10-00-00Z.db', '--name', 'etcd-1', '--initial-cluster', members.map(member => `${member.name}=${member.peerUrls[0]}`).join(','), '--data-dir', '/var/lib/etcd-restored'];
	for (const width of [80, 120]) {
		const lines = wrapCommand('   [etcd-1] ', argv, width);
		assert.ok(lines.every(line => line.length <= width), `nothing wider than ${width}`);
		assert.deepEqual(pasted(lines).slice(1), argv.map(quoteShellArg), `${width}: the same words`);
		// A flag stays on the line of its value.
		assert.ok(lines.some(line => /--name etcd-1\b/.test(line)));
		// Only the one word wider than a line is cut, and after a comma.
		for (const line of lines.slice(0, -1)) assert.match(line, /( \\|,\\)$/);
	}
});

test('prose wraps at spaces and keeps its indentation; the whole plan fits the pane at 80 columns', () => {
	assert.deepEqual(wrapWords('   stop all kube-apiserver instances now', 20, '     '), ['   stop all', '     kube-apiserver', '     instances now']);
	const plan = buildRestorePlan({snapshotPath: '/snaps/a.db', isEncrypted: true, dataDir: '/var/lib/etcd-restored', members, etcdVersion: '3.5.30', token: 'etcd-restore-ab', membersFrom: 'manifest'});
	const lines = restorePlanLines(plan, 80);
	assert.ok(lines.every(line => line.length <= 80));
	const restore = lines.findIndex(line => line.startsWith('   [etcd-3] etcdutl snapshot restore'));
	const end = lines.findIndex((line, index) => index > restore && !line.endsWith('\\'));
	assert.deepEqual(pasted(lines.slice(restore, end + 1)).slice(1), plan.phases.find(phase => phase.title.startsWith('Restore'))!.steps[2]!.argv!.map(quoteShellArg));
});
