// What the console benches read off a tmux pane: a member's row, every row ok, the console's PID, and
// how long the screen took to show something.
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

/**
 * Milliseconds from `since` until the screen passes `test`, read every 20 ms (a timing, so finer than the
 * tests' TmuxSession.waitFor).
 */
export async function screenAfter(session: TmuxSession, test: (screen: string) => boolean, since = performance.now(), timeoutMs = 30_000): Promise<number> {
	const deadline = since + timeoutMs;
	while (performance.now() < deadline) {
		if (test(session.capture())) return performance.now() - since;
		await new Promise(resolve => setTimeout(resolve, 20));
	}
	throw new Error(`timed out; screen:\n${session.capture()}`);
}
