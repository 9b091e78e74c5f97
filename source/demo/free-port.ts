import {createServer} from 'node:net';

/** A port the kernel just handed out on 127.0.0.1; free again by the time it returns. */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') resolve(address.port);
				else reject(new Error('no port was assigned'));
			});
		});
	});
}
