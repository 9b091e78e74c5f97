import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {freePort} from '../../source/demo/free-port.js';
import {quoteShellArg} from '../../source/ssh/quote.js';
import {until} from './cluster.js';
import {etcdBinary} from './etcd-binaries.js';
import type {TestSshd} from './sshd.js';

/** Members started over SSH by the start command: their PIDs are in files, each ended by PID. */
export class RemoteMembers {
	readonly dir = mkdtempSync(join(tmpdir(), 'etcdtop-remote-members-'));
	private readonly names: string[] = [];

	/**
	 * A start command for the new member as operators write them: its own URL flags, and the cluster
	 * settings from the ETCD_* variables etcdtop exports (etcd exits if a variable and its flag are both set).
	 */
	startCommand(name: string, urls: {readonly peer: string; readonly client: string}): string {
		this.names.push(name);
		const flags = [`--listen-peer-urls=${urls.peer}`, `--listen-client-urls=${urls.client}`, `--advertise-client-urls=${urls.client}`];
		return `${quoteShellArg(etcdBinary('etcd'))} --data-dir=${join(this.dir, name)} ${flags.join(' ')} --logger=zap --log-outputs=stderr >>${join(this.dir, `${name}.log`)} 2>&1 & echo $! >${join(this.dir, `${name}.pid`)}`;
	}

	pid(name: string): number | undefined {
		const file = join(this.dir, `${name}.pid`);
		return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
	}

	async stop(isKeeping: boolean): Promise<void> {
		for (const name of this.names) {
			const pid = this.pid(name);
			if (pid === undefined) continue;
			try {
				process.kill(pid, 'SIGTERM');
			} catch {
				continue;
			}
			await until(`${name} (pid ${pid}) to exit`, () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 10_000).catch(() => process.kill(pid, 'SIGKILL'));
		}
		if (isKeeping) console.error(`remote member logs kept in ${this.dir}`);
		else rmSync(this.dir, {recursive: true, force: true});
	}
}

/** Two free loopback ports, never the same one twice (the kernel may hand a just-freed port out again). */
export async function newUrls(): Promise<{peer: string; client: string}> {
	const peer = await freePort();
	let client = await freePort();
	while (client === peer) client = await freePort();
	return {peer: `http://127.0.0.1:${peer}`, client: `http://127.0.0.1:${client}`};
}

export function sshFlags(sshd: TestSshd, name: string): string[] {
	return ['--ssh-host', `${name}=${sshd.user}@127.0.0.1:${sshd.port}`, '--ssh-identity', sshd.keys.plain, '--ssh-known-hosts', sshd.knownHostsFile];
}
