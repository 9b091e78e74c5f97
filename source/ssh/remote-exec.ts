import {StringDecoder} from 'node:string_decoder';
import type {Client, ClientChannel} from 'ssh2';
import {connectSsh, connectThrough, type HostKeyPolicy, type Keyring} from './connect.js';
import type {SshConnection} from './connection.js';
import {SshError} from './errors.js';
import {quoteArgv, withEnv} from './quote.js';
import {resolveSshHost, type ResolvedSshHost, type SshConfigBlock} from './ssh-config.js';
import {memberTarget, type SshTarget} from './target.js';

export interface RemoteCommand {
	/** Program and arguments, never a shell string: each element reaches the program unchanged. */
	readonly argv: readonly string[];
	/** Passed as `env NAME=value …` in argv (sshd refuses most names sent as SSH env requests). */
	readonly env?: Readonly<Record<string, string>>;
}

/** The command as the operator should read it (command log, confirmation screen). */
export function commandLine(command: RemoteCommand): string {
	return quoteArgv(withEnv(command.argv, command.env));
}

/**
 * Without a pty, sshd neither signals a command when its channel closes nor (OpenSSH 9.2 here) acts
 * on "signal" requests, so a timed-out `sleep 60` would run on. This fixed script runs the argv as
 * "$@" in the background and kills it once the channel's stdin reaches EOF, which is what sshd
 * delivers when the channel or the connection closes. The argv still travels as quoted positional
 * parameters, never as script text. Only the direct child is signalled (POSIX sh has no portable
 * way to kill its process group without a tty).
 */
const killOnCloseScript = [
	'exec 3<&0',
	'"$@" </dev/null & c=$!',
	'(while IFS= read -r _ <&3; do :; done; kill -TERM "$c" 2>/dev/null) & w=$!',
	'wait "$c"; s=$?',
	'kill "$w" 2>/dev/null',
	'exit "$s"',
].join('\n');

/** The exact string sent in the exec request. */
export function wireCommandLine(command: RemoteCommand, isKilledOnClose = true): string {
	const argv = withEnv(command.argv, command.env);
	return quoteArgv(isKilledOnClose ? ['sh', '-c', killOnCloseScript, 'etcdtop-remote', ...argv] : argv);
}

export interface ExecOptions {
	readonly timeoutMs: number;
	readonly signal?: AbortSignal;
	readonly onStdoutLine?: (line: string) => void;
	readonly onStderrLine?: (line: string) => void;
	/** Wrap the command so it is killed when the channel closes (timeout, cancel, drop). Default true. */
	readonly isKilledOnClose?: boolean;
}

export interface RemoteResult {
	readonly commandLine: string;
	/** Null when sshd reports a signal instead; the kill-on-close wrapper turns a signal into 128+n. */
	readonly exitCode: number | null;
	readonly signal: string | undefined;
	readonly durationMs: number;
	/** The last lines of each stream, for an error message without a log pane. */
	readonly stdoutTail: readonly string[];
	readonly stderrTail: readonly string[];
}

const tailLength = 20;

/** Splits a byte stream into lines (UTF-8 safe across chunk edges), the last partial line at the end. */
class LineSplitter {
	private readonly decoder = new StringDecoder('utf8');
	private rest = '';
	readonly tail: string[] = [];

	constructor(private readonly onLine?: (line: string) => void) {}

	push(chunk: Buffer): void {
		const lines = (this.rest + this.decoder.write(chunk)).split('\n');
		this.rest = lines.pop() ?? '';
		for (const line of lines) this.emit(line);
	}

	end(): void {
		const last = this.rest + this.decoder.end();
		this.rest = '';
		if (last !== '') this.emit(last);
	}

	private emit(line: string): void {
		const text = line.endsWith('\r') ? line.slice(0, -1) : line;
		this.tail.push(text);
		if (this.tail.length > tailLength) this.tail.shift();
		this.onLine?.(text);
	}
}

/**
 * Runs a command on a connected client. A non-zero exit is a result, not an error; timeout and
 * cancellation reject with an SshError of that kind after asking sshd to end the process.
 */
export async function execRemote(client: Client, command: RemoteCommand, options: ExecOptions): Promise<RemoteResult> {
	const line = commandLine(command);
	const started = Date.now();
	if (options.signal?.aborted) throw new SshError('cancelled', `cancelled before running: ${line}`);
	const channel = await new Promise<ClientChannel>((resolve, reject) => {
		try {
			client.exec(wireCommandLine(command, options.isKilledOnClose ?? true), (error, stream) => (error ? reject(new SshError('error', `the SSH host refused to run the command: ${error.message}`)) : resolve(stream)));
		} catch (error) {
			reject(new SshError('unreachable', `the SSH connection is gone: ${(error as Error).message}`));
		}
	});
	const stdout = new LineSplitter(options.onStdoutLine);
	const stderr = new LineSplitter(options.onStderrLine);
	return new Promise<RemoteResult>((resolve, reject) => {
		let exitCode: number | null = null;
		let exitSignal: string | undefined;
		let isSettled = false;
		const stop = (error: SshError) => {
			if (isSettled) return;
			isSettled = true;
			cleanup();
			// Closing the channel is what the kill-on-close wrapper acts on; the signal request is for an
			// sshd that honours it (and the only hope with isKilledOnClose false).
			try {
				channel.signal('TERM');
			} catch {}
			channel.close();
			reject(error);
		};
		const timer = setTimeout(() => stop(new SshError('timeout', `no exit after ${options.timeoutMs}ms: ${line}`)), options.timeoutMs);
		const onAbort = () => stop(new SshError('cancelled', `cancelled: ${line}`));
		const cleanup = () => {
			clearTimeout(timer);
			options.signal?.removeEventListener('abort', onAbort);
		};
		options.signal?.addEventListener('abort', onAbort, {once: true});
		// Aborted while the channel was opening: the event has already fired.
		if (options.signal?.aborted) onAbort();
		channel.on('data', (chunk: Buffer) => stdout.push(chunk));
		channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
		channel.on('error', (error: Error) => stop(new SshError('unreachable', `the command's channel failed: ${error.message}`)));
		channel.on('exit', (code: number | null, signalName?: string) => {
			exitCode = typeof code === 'number' ? code : null;
			exitSignal = typeof signalName === 'string' ? signalName : undefined;
		});
		channel.once('close', () => {
			if (isSettled) return;
			isSettled = true;
			cleanup();
			stdout.end();
			stderr.end();
			if (exitCode === null && exitSignal === undefined) {
				reject(new SshError('unreachable', `the connection closed before the command reported an exit status: ${line}`));
				return;
			}
			resolve({commandLine: line, exitCode, signal: exitSignal, durationMs: Date.now() - started, stdoutTail: stdout.tail, stderrTail: stderr.tail});
		});
	});
}

export interface MemberHostOptions {
	readonly member: {readonly name: string; readonly peerUrls: readonly string[]};
	/** `--ssh-host NAME=[user@]host[:port]` entries, parsed by parseHostMap. */
	readonly hostMap?: ReadonlyMap<string, SshTarget>;
	readonly sshConfig?: readonly SshConfigBlock[];
	readonly identityFile?: string;
	readonly hostKeys: HostKeyPolicy;
	readonly keyring: Keyring;
	readonly agentSocket?: string;
	/** The `--via` connection: the member's sshd is reached through it, as ProxyJump does. */
	readonly via?: SshConnection;
	readonly readyTimeoutMs?: number;
}

/** Where a member's commands run, fully resolved (for the confirmation screen and the log). */
export function memberSshHost(options: MemberHostOptions): ResolvedSshHost {
	const target = memberTarget(options.member, options.hostMap);
	return resolveSshHost(target, {blocks: options.sshConfig ?? [], ...(options.identityFile === undefined ? {} : {identityFile: options.identityFile})});
}

/** Connects to a member's host (directly or through `via`), runs one command, disconnects. */
export async function runOnMember(options: MemberHostOptions & {readonly command: RemoteCommand} & ExecOptions): Promise<RemoteResult> {
	const host = memberSshHost(options);
	const connectOptions = {
		host,
		hostKeys: options.hostKeys,
		keyring: options.keyring,
		...(options.agentSocket === undefined ? {} : {agentSocket: options.agentSocket}),
		...(options.readyTimeoutMs === undefined ? {} : {readyTimeoutMs: options.readyTimeoutMs}),
		...(options.signal ? {signal: options.signal} : {}),
	};
	let client: Client;
	if (options.via) {
		await options.via.waitUntilUp({...(options.signal ? {signal: options.signal} : {}), timeoutMs: options.readyTimeoutMs ?? 20_000});
		const jump = options.via.client;
		if (!jump) throw new SshError('unreachable', `the jump host ${options.via.label} is down`);
		client = await connectThrough(jump, connectOptions);
	} else {
		client = await connectSsh(connectOptions);
	}
	// Errors after ready end in 'close', which execRemote reports; this keeps them from crashing.
	client.on('error', () => {});
	try {
		return await execRemote(client, options.command, options);
	} finally {
		client.end();
	}
}
