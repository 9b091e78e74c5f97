import {execFileSync} from 'node:child_process';

let sessions = 0;

export interface TmuxOptions {
	readonly columns?: number;
	readonly rows?: number;
	readonly env?: Readonly<Record<string, string>>;
}

/**
 * A real terminal: the command runs in a detached tmux session on its own server socket, so tests
 * never touch a user's tmux. The pane stays after the command exits, to read its last screen and status.
 */
export class TmuxSession {
	private readonly socket: string;
	private readonly serverPid: number;
	private isClosed = false;

	private constructor(socket: string) {
		this.socket = socket;
		this.serverPid = Number(this.tmux(['display-message', '-p', '#{pid}']).trim());
	}

	static start(argv: readonly string[], {columns = 120, rows = 40, env = {}}: TmuxOptions = {}): TmuxSession {
		const socket = `etcdtop-test-${process.pid}-${++sessions}`;
		const exports = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
		const command = ['env', ...exports, ...argv.map(shellQuote)].join(' ');
		execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', 'test', command], {stdio: 'pipe'});
		const session = new TmuxSession(socket);
		session.tmux(['set-option', '-t', 'test', 'remain-on-exit', 'on']);
		return session;
	}

	capture(): string {
		return this.tmux(['capture-pane', '-p', '-t', 'test']);
	}

	/** The screen with its escape sequences, to check colours. */
	captureWithEscapes(): string {
		return this.tmux(['capture-pane', '-p', '-e', '-t', 'test']);
	}

	sendKeys(...keys: string[]): void {
		this.tmux(['send-keys', '-t', 'test', ...keys]);
	}

	resize(columns: number, rows: number): void {
		this.tmux(['resize-window', '-t', 'test', '-x', String(columns), '-y', String(rows)]);
	}

	format(variable: string): string {
		return this.tmux(['display-message', '-p', '-t', 'test', `#{${variable}}`]).trim();
	}

	get panePid(): number {
		return Number(this.format('pane_pid'));
	}

	get isDead(): boolean {
		return this.format('pane_dead') === '1';
	}

	get exitStatus(): number | undefined {
		const status = this.format('pane_dead_status');
		return status === '' ? undefined : Number(status);
	}

	/** Waits until the screen satisfies `test` (a substring or a predicate); throws with the screen if not. */
	async waitFor(test: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
		const matches = typeof test === 'function' ? test : (screen: string) => (typeof test === 'string' ? screen.includes(test) : test.test(screen));
		const deadline = Date.now() + timeoutMs;
		let screen = '';
		while (Date.now() < deadline) {
			screen = this.capture();
			if (matches(screen)) return screen;
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		throw new Error(`timed out after ${timeoutMs}ms waiting for ${String(test)}; screen was:\n${screen}`);
	}

	async waitForExit(timeoutMs = 15_000): Promise<number | undefined> {
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (this.isDead) return this.exitStatus;
			await new Promise(resolve => setTimeout(resolve, 100));
		}
		throw new Error(`the program did not exit within ${timeoutMs}ms; screen was:\n${this.capture()}`);
	}

	/** Ends the program and the tmux server by PID. */
	close(): void {
		if (this.isClosed) return;
		this.isClosed = true;
		try {
			if (!this.isDead) process.kill(this.panePid, 'SIGTERM');
		} catch {}
		try {
			process.kill(this.serverPid, 'SIGTERM');
		} catch {}
	}

	private tmux(args: readonly string[]): string {
		return execFileSync('tmux', ['-L', this.socket, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	}
}

export function shellQuote(value: string): string {
	return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
