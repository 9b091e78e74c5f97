// Which etcd the e2e tests run: the one on PATH (bookworm's 3.4.23 here), or, with ETCDTOP_TEST_ETCD_DIR
// set (`.ci/run` sets it to the 3.5.30 that scripts/fetch-etcd.sh unpacks), the etcd, etcdctl and etcdutl
// in that directory. The directory goes first on this process's PATH, so every child the tests start
// (clusters, etcdctl, the CLI's `demo`, tmux) finds the same etcd; commands that run through sshd, which
// sets its own PATH, take the absolute path from etcdBinary().
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {delimiter, join, resolve} from 'node:path';

export type EtcdTool = 'etcd' | 'etcdctl' | 'etcdutl';

const configured = process.env['ETCDTOP_TEST_ETCD_DIR'];
export const testEtcdDir: string | undefined = configured === undefined || configured === '' ? undefined : resolve(configured);

if (testEtcdDir !== undefined) {
	for (const tool of ['etcd', 'etcdctl'] as const) {
		// A missing binary would silently fall back to the system's etcd and test the wrong version.
		if (!existsSync(join(testEtcdDir, tool))) throw new Error(`ETCDTOP_TEST_ETCD_DIR=${testEtcdDir} has no ${tool} (run scripts/fetch-etcd.sh)`);
	}
	const path = process.env['PATH'] ?? '';
	if (path.split(delimiter)[0] !== testEtcdDir) process.env['PATH'] = [testEtcdDir, path].filter(Boolean).join(delimiter);
}

/** The command that runs `tool`: an absolute path under ETCDTOP_TEST_ETCD_DIR, else the name (found on PATH). */
export function etcdBinary(tool: EtcdTool): string {
	return testEtcdDir === undefined ? tool : join(testEtcdDir, tool);
}

let version: string | undefined;
/** The version of the etcd the tests run, as `etcd --version` prints it (e.g. 3.4.23). */
export function testEtcdVersion(): string {
	if (version === undefined) {
		const out = spawnSync(etcdBinary('etcd'), ['--version'], {encoding: 'utf8'});
		const match = /etcd Version: (\d+\.\d+\.\d+)/.exec(out.stdout ?? '');
		if (!match) throw new Error(`cannot read the version of ${etcdBinary('etcd')}: ${out.stderr ?? out.error}`);
		version = match[1]!;
	}
	return version;
}

/** 3.5 and later: restore with etcdutl, learners, root role for maintenance with auth on (3.5.28+). */
export function testEtcdAtLeast(major: number, minor: number, patch = 0): boolean {
	const [a = 0, b = 0, c = 0] = testEtcdVersion().split('.').map(Number);
	return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}
