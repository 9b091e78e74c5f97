import type {RoutedClient, Routes} from './routes.js';

// Apart from routes.ts, which loads the etcd client (etcd3, gRPC): code that only pools the clients a
// Routes hands out (the observation, the workflows' io) runs, and is tested with fakes, without it.

/** One client per endpoint, opened through the routes on first use and closed together. */
export function clientPool(routes: Pick<Routes, 'client'>): {readonly client: (endpoint: string) => RoutedClient; readonly close: () => void} {
	const clients = new Map<string, RoutedClient>();
	return {
		client: endpoint => {
			let found = clients.get(endpoint);
			if (!found) {
				found = routes.client(endpoint);
				clients.set(endpoint, found);
			}
			return found;
		},
		close: () => {
			for (const client of clients.values()) client.close();
			clients.clear();
		},
	};
}
