import type {TmuxSession} from './tmux.js';

/**
 * In a console under tmux with an empty --snapshot-dir: the Snapshots pane takes a snapshot, opens its
 * restore plan and scrolls to its end. `details`: the plan with wrapped commands joined (long commands wrap
 * between words with ` \` continuations: joined, a line is what a paste gives the shell); `check`: its
 * `etcdctl ... endpoint health` line.
 */
export async function paneRestorePlan(session: TmuxSession): Promise<{readonly details: string; readonly check: string | undefined}> {
	session.sendKeys('2');
	await session.waitFor(/no snapshots yet/, 30_000);
	session.sendKeys('s');
	await session.waitFor(/etcd-snapshot-\S+\.db .* sha256 ok/, 90_000);
	session.sendKeys('Enter');
	await session.waitFor('Restore plan', 30_000);
	const details = (await session.scrollUntil(/Restart every API server/)).replace(/ \\\n\s*/g, ' ').replace(/\\\n\s*/g, '');
	return {details, check: /etcdctl --endpoints \S+ .*? endpoint health/.exec(details)?.[0]};
}
