import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {createServer} from 'node:http';
import type {Socket} from 'node:net';
import {fileURLToPath} from 'node:url';
import {test} from 'node:test';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import {httpGetText} from '../../source/route/http-get.js';
import {close, listen} from '../helpers/http-server.js';

/** A server that answers every request with `body` and counts the connections it accepted. */
function counting(body: string, onRequest?: (socket: Socket, index: number) => boolean) {
	const sockets: Socket[] = [];
	const server = createServer((request, response) => {
		const socket = request.socket;
		if (!sockets.includes(socket)) sockets.push(socket);
		const perSocket = ((socket as Socket & {served?: number}).served = ((socket as Socket & {served?: number}).served ?? 0) + 1);
		if (onRequest && !onRequest(socket, perSocket)) return;
		response.writeHead(200, {'content-type': 'text/plain'}).end(body);
	});
	return {server, sockets};
}

test('reads keep their connection: the second GET to a member needs no new connection; the body arrives as pieces', async () => {
	const body = 'etcd_server_has_leader 1\n'.repeat(20_000);
	const {server, sockets} = counting(body);
	const port = await listen(server);
	try {
		const url = new URL(`http://127.0.0.1:${port}/metrics`);
		const first = await httpGetText(url, undefined, undefined, {timeoutMs: 5000});
		const second = await httpGetText(url, undefined, undefined, {timeoutMs: 5000});
		assert.equal(second.status, 200);
		assert.equal(sockets.length, 1, 'one connection for both reads');
		assert.ok(first.bytes && first.bytes.length > 1, 'a 500 KB body in pieces, not joined');
		assert.equal(first.bytes.reduce((sum, piece) => sum + piece.length, 0), body.length);
		assert.equal(second.body, body);
		assert.deepEqual({...second}, {status: 200, body}, 'the pieces are not an enumerable field');
	} finally {
		await close(server);
	}
});

test('a kept connection the server closed is replaced: closed while idle, or dropped as the next request arrives', async () => {
	// Drops every connection's second request unanswered, as a server closing an idle connection just
	// as the request was sent would.
	const {server, sockets} = counting('ok\n', (socket, index) => {
		if (index === 1) return true;
		socket.destroy();
		return false;
	});
	const port = await listen(server);
	try {
		const url = new URL(`http://127.0.0.1:${port}/metrics`);
		for (let read = 0; read < 3; read++) assert.equal((await httpGetText(url, undefined, undefined, {timeoutMs: 5000})).body, 'ok\n');
		assert.equal(sockets.length, 3, 'each read after the first came on a new connection, after one refusal');
		server.closeIdleConnections();
		await new Promise(resolve => setTimeout(resolve, 50));
		assert.equal((await httpGetText(url, undefined, undefined, {timeoutMs: 5000})).body, 'ok\n', 'a connection closed while idle left the pool');
		assert.equal(sockets.length, 4);
	} finally {
		await close(server);
	}
});

test('a kept connection does not keep the process alive', async () => {
	const {server} = counting('ok\n');
	const port = await listen(server);
	try {
		const module = fileURLToPath(new URL('../../source/route/http-get.js', import.meta.url));
		const script = `const {httpGetText} = await import(${JSON.stringify(module)}); const answer = await httpGetText(new URL('http://127.0.0.1:${port}/'), undefined, undefined, {timeoutMs: 5000}); console.log(answer.body.trim());`;
		const started = performance.now();
		const output = await new Promise<string>((resolve, reject) => {
			execFile(process.execPath, ['--input-type=module', '-e', script], {timeout: 20_000}, (error, stdout) => (error ? reject(error) : resolve(stdout)));
		});
		assert.equal(output.trim(), 'ok');
		assert.ok(performance.now() - started < 15_000, 'the child ended without waiting out the idle timeout');
	} finally {
		await close(server);
	}
});

test('an answer dropped is young garbage: its pieces go with the next minor collections, not the next full one', async () => {
	// A getter closure in each answer's own literal once kept every body in the old generation until a
	// full collection: the console's memory grew by each /metrics read (~10 MB a minute, 5 members).
	setFlagsFromString('--expose-gc');
	const gc = runInNewContext('gc') as (options: {type: 'minor' | 'major'}) => void;
	const body = 'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 12345\n'.repeat(4000);
	const {server} = counting(body);
	const port = await listen(server);
	try {
		const url = new URL(`http://127.0.0.1:${port}/metrics`);
		const read = async () => (await httpGetText(url, undefined, undefined, {timeoutMs: 5000})).bytes?.length ?? 0;
		assert.ok((await read()) > 1, 'the body arrives in pieces');
		gc({type: 'major'});
		const before = process.memoryUsage().arrayBuffers;
		const reads = 20;
		for (let index = 0; index < reads; index++) {
			await read();
			await new Promise(resolve => setImmediate(resolve));
			gc({type: 'minor'});
			gc({type: 'minor'});
		}
		const kept = process.memoryUsage().arrayBuffers - before;
		assert.ok(kept < (reads * body.length) / 2, `${(kept / 1e6).toFixed(1)} MB of ${((reads * body.length) / 1e6).toFixed(1)} MB read was still held after minor collections`);
	} finally {
		await close(server);
	}
});
