/**
 * The cache Ink's text measuring, wrapping and drawing use, bounded.
 *
 * Ink 6 keeps every string it ever measured or wrapped in two module-level caches that never forget
 * (vadimdemedes/ink#986). A dashboard draws new strings every second (latencies, ages, indices), so
 * those caches grow by about a kilobyte a frame for as long as the console runs. The bundler
 * (scripts/bundle-plugins.js) puts this cache in their place, and in place of the per-frame caches of
 * Ink's Output so that those last from frame to frame. When it is full it starts over: the next frame
 * measures and tokenizes its few dozen lines again, about what Ink did every frame before.
 */
export class TextCache<V> {
	private readonly entries = new Map<string, V>();

	constructor(readonly limit = 2000) {}

	get size(): number {
		return this.entries.size;
	}

	get(key: string): V | undefined {
		return this.entries.get(key);
	}

	set(key: string, value: V): this {
		if (this.entries.size >= this.limit && !this.entries.has(key)) this.entries.clear();
		this.entries.set(key, value);
		return this;
	}
}
