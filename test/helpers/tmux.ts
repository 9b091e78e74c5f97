import {execFileSync} from 'node:child_process';
import './etcd-binaries.js';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {isKeepingEvidence} from './evidence.js';

let sessions = 0;

/** The last screen of every session this file closed or left open, written out if a test failed. */
const lastScreens = new Map<string, () => string>();
process.once('exit', () => {
	if (!isKeepingEvidence() || lastScreens.size === 0) return;
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-panes-'));
	for (const [socket, screen] of lastScreens) {
		let text: string;
		try {
			text = screen();
		} catch (error) {
			text = `(no capture: ${String(error)})`;
		}
		writeFileSync(join(dir, `${socket}.txt`), text);
	}
	process.stderr.write(`tmux panes kept in ${dir}\n`);
});

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

	private constructor(
		socket: string,
		private readonly statusDir: string,
	) {
		this.socket = socket;
		this.serverPid = Number(this.tmux(['display-message', '-p', '#{pid}']).trim());
		// Until close() captures the last screen, the pane is read live if the file ends with it open.
		lastScreens.set(socket, () => this.captureAll());
	}

	static start(argv: readonly string[], {columns = 120, rows = 40, env = {}}: TmuxOptions = {}): TmuxSession {
		const socket = `etcdtop-test-${process.pid}-${++sessions}`;
		const exports = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
		// tmux 3.3 does not always record a dead pane's status, so the shell writes it down.
		const statusDir = mkdtempSync(join(tmpdir(), 'etcdtop-tmux-'));
		const program = ['env', ...exports, ...argv.map(shellQuote)].join(' ');
		const command = `${program}; echo $? > ${shellQuote(join(statusDir, 'status'))}`;
		// remain-on-exit is set in the same tmux call, before the program can possibly exit.
		const create = ['new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', 'test', command];
		execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...create, ';', 'set-option', '-w', '-t', 'test', 'remain-on-exit', 'on'], {stdio: 'pipe'});
		return new TmuxSession(socket, statusDir);
	}

	capture(): string {
		return this.tmux(['capture-pane', '-p', '-t', 'test']);
	}

	/** The screen and its scrollback: tmux's "Pane is dead" line can scroll a dead program's first line away. */
	captureAll(): string {
		return this.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', 'test']);
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
		return this.exitStatus !== undefined;
	}

	get exitStatus(): number | undefined {
		try {
			return Number(readFileSync(join(this.statusDir, 'status'), 'utf8').trim());
		} catch {
			return undefined;
		}
	}

	/** Presses `key` (a scrolling key) until the screen shows `pattern` or stops changing; returns the last screen. */
	async scrollUntil(pattern: RegExp, key = 'j', maxSteps = 40): Promise<string> {
		let screen = this.capture();
		for (let step = 0; step < maxSteps && !pattern.test(screen); step++) {
			this.sendKeys(key);
			const before = screen;
			screen = await this.waitFor(next => next !== before, 5000).catch(() => this.capture());
		}
		return screen;
	}

	/** Waits until the screen satisfies `test` (a substring, a pattern or a predicate); throws with the screen if not. */
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

	/** Ends the program (the pane's process group, led by the pane's PID) and the tmux server by PID. */
	close(): void {
		if (this.isClosed) return;
		this.isClosed = true;
		// A failing test closes its session in `finally`, before the runner knows it failed: keep the
		// screen (with scrollback) now, and write it out at exit if the file failed.
		try {
			const screen = this.captureAll();
			lastScreens.set(this.socket, () => screen);
		} catch {}
		try {
			if (!this.isDead) process.kill(-this.panePid, 'SIGTERM');
		} catch {}
		try {
			process.kill(this.serverPid, 'SIGTERM');
		} catch {}
		rmSync(this.statusDir, {recursive: true, force: true});
	}

	private tmux(args: readonly string[]): string {
		return execFileSync('tmux', ['-L', this.socket, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	}
}

export function shellQuote(value: string): string {
	return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
