// What the console benches read off a tmux pane: a member's row, every row ok, the console's PID.
import {execFileSync} from 'node:child_process';
import type {TmuxSession} from '../test/helpers/tmux.js';

/** The row of one member on the dashboard, e.g. "  etcd-2       ok  ...". */
export function row(screen: string, name: string): string {
	return screen.split('\n').find(line => new RegExp(`^[> ] ${name} `).test(line)) ?? '';
}

export const allOk = (names: readonly string[]) => (screen: string) => names.every(name => / ok /.test(row(screen, name)));

/** The console's own node process: the pane runs sh, which runs node. */
export function consolePid(session: TmuxSession): number {
	const out = execFileSync('ps', ['-o', 'pid=,comm=', '-g', String(session.panePid)], {encoding: 'utf8'});
	const line = out.split('\n').find(entry => /etcdtop|node/.test(entry) && !entry.includes(String(session.panePid) + ' sh'));
	return Number(line?.trim().split(/\s+/)[0]);
}
