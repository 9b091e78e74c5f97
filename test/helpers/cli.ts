import {spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {etcdBinary} from './etcd-binaries.js';

export const cliPath = fileURLToPath(new URL('../../../bin/etcdtop.js', import.meta.url));

export interface CliResult {
	readonly code: number | null;
	readonly stdout: string;
	readonly stderr: string;
	readonly ms: number;
}

/** Runs the built CLI as a user would, with a clean ETCDCTL_* environment unless given. */
export async function runCli(args: readonly string[], {env = {}, timeoutMs = 30_000}: {env?: Record<string, string>; timeoutMs?: number} = {}): Promise<CliResult> {
	const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_') && !key.startsWith('ETCDTOP_')));
	const started = performance.now();
	const child = spawn(process.execPath, [cliPath, ...args], {env: {...base, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
	const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), timeoutMs);
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	clearTimeout(timer);
	return {code, stdout, stderr, ms: performance.now() - started};
}

/** etcdctl from the machine, against the same cluster, for side-by-side checks. */
export async function runEtcdctl(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
	const started = performance.now();
	const child = spawn(etcdBinary('etcdctl'), args, {env: {...process.env, ETCDCTL_API: '3', ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk));
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	return {code, stdout, stderr, ms: performance.now() - started};
}
