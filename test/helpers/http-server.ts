import type {Server} from 'node:http';
import type {AddressInfo} from 'node:net';

/** Listens on a free loopback port; resolves with it. */
export async function listen(server: Server): Promise<number> {
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	return (server.address() as AddressInfo).port;
}

/** Closes the server and every connection still open to it (kept ones included). */
export async function close(server: Server): Promise<void> {
	server.closeAllConnections();
	await new Promise<void>(resolve => server.close(() => resolve()));
}
