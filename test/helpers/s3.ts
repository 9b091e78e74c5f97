import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs';
import http from 'node:http';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

const serverScript = fileURLToPath(new URL('./s3rver-process.js', import.meta.url));

/** The credentials s3rver accepts; no real secret. */
export const s3Credentials = {AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1'} as const;

/** s3rver on a loopback port, in its own process (ended by PID), storing under a temporary directory. */
export class S3Server {
	private child: ChildProcess | undefined;
	private constructor(
		readonly directory: string,
		readonly buckets: readonly string[],
		public port: number,
	) {}

	get endpoint(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	static async start(buckets: readonly string[] = ['backups'], port = 0): Promise<S3Server> {
		const server = new S3Server(mkdtempSync(join(tmpdir(), 'etcdtop-s3rver-')), buckets, port);
		await server.launch();
		return server;
	}

	/** (Re)starts the process on the same port and directory. */
	async launch(): Promise<void> {
		const child = spawn(process.execPath, [serverScript, String(this.port), this.directory, ...this.buckets], {stdio: ['ignore', 'pipe', 'pipe']});
		this.child = child;
		let stderr = '';
		child.stderr!.setEncoding('utf8').on('data', chunk => (stderr += chunk));
		this.port = await new Promise<number>((resolve, reject) => {
			let stdout = '';
			child.stdout!.setEncoding('utf8').on('data', chunk => {
				stdout += chunk;
				const match = /listening (\d+)/.exec(stdout);
				if (match) resolve(Number(match[1]));
			});
			child.once('exit', code => reject(new Error(`s3rver exited (${code}): ${stderr}`)));
		});
	}

	/** SIGKILL, as a crashed server or host: no goodbye to open connections. */
	kill(): void {
		if (this.child?.pid && this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid, 'SIGKILL');
	}

	async stop(): Promise<void> {
		const child = this.child;
		if (child?.pid && child.exitCode === null && child.signalCode === null) {
			const exited = new Promise(resolve => child.once('exit', resolve));
			process.kill(child.pid, 'SIGKILL');
			await exited;
		}
		rmSync(this.directory, {recursive: true, force: true});
	}

	/** Keys of completed objects in a bucket, read from s3rver's own files (not through S3). */
	objectKeys(bucket = this.buckets[0]!): string[] {
		const root = join(this.directory, bucket);
		const keys: string[] = [];
		const walk = (dir: string, prefix: string) => {
			if (!existsSync(dir)) return;
			for (const entry of readdirSync(dir, {withFileTypes: true})) {
				if (entry.isDirectory()) {
					if (entry.name !== '._S3rver_uploads') walk(join(dir, entry.name), `${prefix}${entry.name}/`);
				} else if (entry.name.endsWith('._S3rver_object')) {
					keys.push(`${prefix}${entry.name.slice(0, -'._S3rver_object'.length)}`);
				}
			}
		};
		walk(root, '');
		return keys.sort();
	}

	/** Multipart uploads not completed nor aborted (their parts are still on the server). */
	pendingUploads(bucket = this.buckets[0]!): string[] {
		const dir = join(this.directory, bucket, '._S3rver_uploads');
		return existsSync(dir) ? readdirSync(dir) : [];
	}
}

export interface FaultPlan {
	/** Answer 503 to UploadPart for this part number… */
	failPart?: number;
	/** …this many times (Infinity: always). */
	failTimes?: number;
	/** Cut every connection once this many request-body bytes have passed in all… */
	cutAfterBytes?: number;
	/** …and refuse connections for this long after the cut. */
	downForMs?: number;
}

/**
 * An HTTP proxy in front of s3rver that injects faults: a 503 on a given part, or a network cut mid-upload
 * (every open connection destroyed, new ones refused for a while). Requests are counted for assertions.
 */
export class FaultProxy {
	readonly requests: string[] = [];
	private bodyBytes = 0;
	private downUntil = 0;
	private partFailures = 0;
	private readonly sockets = new Set<import('node:net').Socket>();
	private constructor(
		private readonly server: http.Server,
		readonly port: number,
		public plan: FaultPlan,
	) {}

	get endpoint(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	static async start(target: () => number, plan: FaultPlan = {}): Promise<FaultProxy> {
		let proxy: FaultProxy | undefined;
		const server = http.createServer((request, response) => proxy!.handle(request, response, target()));
		server.on('connection', socket => {
			if (Date.now() < proxy!.downUntil) {
				socket.destroy();
				return;
			}
			proxy!.sockets.add(socket);
			socket.once('close', () => proxy!.sockets.delete(socket));
		});
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		proxy = new FaultProxy(server, (server.address() as import('node:net').AddressInfo).port, plan);
		return proxy;
	}

	private cut(): void {
		this.downUntil = Date.now() + (this.plan.downForMs ?? 0);
		this.plan = {...this.plan, cutAfterBytes: undefined};
		for (const socket of this.sockets) socket.destroy();
	}

	private handle(request: http.IncomingMessage, response: http.ServerResponse, port: number): void {
		const url = new URL(request.url ?? '/', 'http://proxy');
		this.requests.push(`${request.method} ${url.pathname}${url.search}`);
		const partNumber = Number(url.searchParams.get('partNumber'));
		if (request.method === 'PUT' && this.plan.failPart !== undefined && partNumber === this.plan.failPart && this.partFailures < (this.plan.failTimes ?? 1)) {
			this.partFailures++;
			request.resume();
			request.once('end', () => {
				response.writeHead(503, {'content-type': 'application/xml'});
				response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected by the test proxy</Message></Error>');
			});
			return;
		}
		const upstream = http.request({host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers}, answer => {
			response.writeHead(answer.statusCode ?? 502, answer.headers);
			answer.pipe(response);
		});
		upstream.on('error', () => response.destroy());
		request.on('data', (chunk: Buffer) => {
			this.bodyBytes += chunk.length;
			if (this.plan.cutAfterBytes !== undefined && this.bodyBytes >= this.plan.cutAfterBytes) {
				upstream.destroy();
				this.cut();
				return;
			}
			if (!upstream.write(chunk)) {
				request.pause();
				upstream.once('drain', () => request.resume());
			}
		});
		request.on('end', () => upstream.end());
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise(resolve => this.server.close(resolve));
	}
}
