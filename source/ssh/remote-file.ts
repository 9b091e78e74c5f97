import type {Client, ClientChannel} from 'ssh2';
import {SshError} from './errors.js';
import {quoteArgv} from './quote.js';

export interface RemoteFileOptions {
	readonly timeoutMs: number;
	/** A manifest or a PEM file is a few KB; anything larger is not what was meant. */
	readonly maxBytes?: number;
}

/** An fs-like error: `code` is what the node's `cat` said (ENOENT, EACCES, EISDIR, else EIO). */
export class RemoteFileError extends Error {
	override readonly name = 'RemoteFileError';
	constructor(
		readonly code: string,
		message: string,
	) {
		super(message);
	}
}

/** The argv that reads one file, read-only: `cat` with the C locale so its complaints can be matched. */
export function readFileArgv(path: string): readonly string[] {
	return ['env', 'LC_ALL=C', 'cat', '--', path];
}

function codeOf(stderr: string): string {
	if (/No such file or directory/i.test(stderr)) return 'ENOENT';
	if (/Permission denied|Operation not permitted/i.test(stderr)) return 'EACCES';
	if (/Is a directory/i.test(stderr)) return 'EISDIR';
	return 'EIO';
}

/**
 * Reads a file on the SSH host through an exec channel of an open connection (no shell text is built
 * from the path: it travels as one quoted argument). A missing or unreadable file rejects with a
 * RemoteFileError whose code is fs's; a dead connection or a deadline rejects with an SshError.
 */
export async function readRemoteFile(client: Client, pathOrArgv: string | readonly string[], {timeoutMs, maxBytes = 1 << 20}: RemoteFileOptions): Promise<Buffer> {
	const path = typeof pathOrArgv === 'string' ? pathOrArgv : 'the files';
	const line = quoteArgv(typeof pathOrArgv === 'string' ? readFileArgv(pathOrArgv) : pathOrArgv);
	// What a message names: the command for one file, not the whole script of a batch.
	const what = typeof pathOrArgv === 'string' ? line : `reading ${pathOrArgv.length - 4} files`;
	const channel = await new Promise<ClientChannel>((resolve, reject) => {
		try {
			client.exec(line, (error, stream) => (error ? reject(new SshError('error', `the SSH host refused ${what}: ${error.message}`)) : resolve(stream)));
		} catch (error) {
			reject(new SshError('unreachable', `the SSH connection is gone: ${(error as Error).message}`));
		}
	});
	return new Promise<Buffer>((resolve, reject) => {
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		let size = 0;
		let exitCode: number | null = null;
		let isSettled = false;
		const settle = (outcome: () => void) => {
			if (isSettled) return;
			isSettled = true;
			clearTimeout(timer);
			outcome();
		};
		const timer = setTimeout(() => {
			settle(() => reject(new SshError('timeout', `no answer within ${timeoutMs} ms (${what})`)));
			channel.close();
		}, timeoutMs);
		channel.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > maxBytes) {
				settle(() => reject(new RemoteFileError('EFBIG', `${path} is larger than ${maxBytes} bytes`)));
				channel.close();
				return;
			}
			out.push(chunk);
		});
		channel.stderr.on('data', (chunk: Buffer) => {
			if (err.length < 16) err.push(chunk);
		});
		channel.on('error', (error: Error) => settle(() => reject(new SshError('unreachable', `the channel failed: ${error.message}`))));
		channel.on('exit', (code: number | null) => {
			exitCode = typeof code === 'number' ? code : null;
		});
		// stderr is a stream of its own: its last chunk can come after the channel's 'close'.
		let isStderrEnded = false;
		let isClosed = false;
		const finish = () => {
			if (!isStderrEnded || !isClosed) return;
			settle(() => {
				if (exitCode === 0) {
					resolve(Buffer.concat(out));
					return;
				}
				// sshd may write lines of its own first (a debug LogLevel does): cat's complaint is the one naming it.
				const lines = Buffer.concat(err).toString('utf8').split(/\r?\n/).map(text => text.trim()).filter(Boolean);
				const said = lines.find(text => text.startsWith('cat:')) ?? lines.at(-1) ?? '';
				if (exitCode === null) reject(new SshError('unreachable', `the connection closed before ${what} ended`));
				else reject(new RemoteFileError(codeOf(said), `${path}: ${said || `cat exited ${exitCode}`}`));
			});
		};
		channel.stderr.once('end', () => {
			isStderrEnded = true;
			finish();
		});
		channel.once('close', () => {
			isClosed = true;
			// A stderr that never ends (an old server) must not hold the answer: give it one more turn.
			setTimeout(() => {
				isStderrEnded = true;
				finish();
			}, 50);
			finish();
		});
	});
}

/**
 * Reads several files in one exec (each SSH session costs a login on the host: seconds on a busy one).
 * The paths travel as positional arguments of a fixed script, never as script text. Per file the script
 * writes `ok LENGTH` and the bytes, or `err CODE`; a file is a RemoteFileError with fs's code.
 */
const readManyScript = [
	'for f do',
	'  if [ -d "$f" ]; then echo "err EISDIR"',
	'  elif [ -f "$f" ] && [ -r "$f" ]; then printf "ok %s\\n" "$(wc -c < "$f" | tr -d " ")"; cat -- "$f"',
	'  elif [ -e "$f" ]; then echo "err EACCES"',
	'  else echo "err ENOENT"; fi',
	'done',
].join('\n');

export function readFilesArgv(paths: readonly string[]): readonly string[] {
	return ['sh', '-c', readManyScript, 'etcdtop-read', ...paths];
}

export async function readRemoteFiles(client: Client, paths: readonly string[], {timeoutMs, maxBytes = 1 << 20}: RemoteFileOptions): Promise<ReadonlyMap<string, Buffer | RemoteFileError>> {
	if (paths.length === 0) return new Map();
	return parseFilesAnswer(paths, await readRemoteFile(client, readFilesArgv(paths), {timeoutMs, maxBytes: maxBytes * paths.length}));
}

/** What readFilesArgv's script wrote, per path. */
export function parseFilesAnswer(paths: readonly string[], output: Buffer): ReadonlyMap<string, Buffer | RemoteFileError> {
	const results = new Map<string, Buffer | RemoteFileError>();
	let offset = 0;
	for (const path of paths) {
		const end = output.indexOf(0x0a, offset);
		if (end === -1) throw new SshError('error', `the SSH host's answer for ${path} was cut short`);
		const header = output.subarray(offset, end).toString('latin1');
		offset = end + 1;
		const ok = /^ok (\d+)$/.exec(header);
		if (ok) {
			const length = Number(ok[1]);
			if (offset + length > output.length) throw new SshError('error', `the SSH host's answer for ${path} was cut short`);
			results.set(path, output.subarray(offset, offset + length));
			offset += length;
			continue;
		}
		const failed = /^err (E[A-Z]+)$/.exec(header);
		if (!failed) throw new SshError('error', `the SSH host answered "${header.slice(0, 40)}" for ${path}`);
		const why = failed[1] === 'ENOENT' ? 'No such file or directory' : failed[1] === 'EACCES' ? 'Permission denied' : 'Is a directory';
		results.set(path, new RemoteFileError(failed[1]!, `${path}: ${why}`));
	}
	return results;
}
