import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';

export function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Wall time of a whole process, from spawn to exit, in milliseconds. */
export async function timeProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ms: number; code: number | null; stdout: string}> {
	const started = performance.now();
	const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'ignore']});
	let stdout = '';
	child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk));
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	return {ms: performance.now() - started, code, stdout};
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	// Fields 14 and 15 of stat (utime, stime), counted from the state field (3) after the ") ".
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident and peak resident memory of a process, in MB. */
export function memoryMb(pid: number): {rss: number; peak: number} {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
	return {rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024};
}

export function fmt(ms: number): string {
	return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export interface BenchRow {
	readonly what: string;
	readonly etcdtop: string;
	readonly etcdctl?: string;
	readonly ratio?: string;
	readonly target: string;
	readonly isMet: boolean;
}
