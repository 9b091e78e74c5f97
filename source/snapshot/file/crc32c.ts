// CRC-32C (Castagnoli), the checksum `etcdctl snapshot status` prints as HASH. Node 20 has no built-in for
// it (zlib.crc32 is IEEE, and newer), and a 256 MB snapshot goes through it, so it is table-driven with
// slicing-by-16 over aligned 32-bit words rather than bit by bit (~0.7 GB/s; Go uses the CPU instruction).

import {createRequire} from 'node:module';

const polynomial = 0x82f63b78;

/**
 * @node-rs/crc32's crc32c uses the CPU's CRC32 instruction (SSE4.2 / ARMv8), ~4x the tables below; it is an
 * optional dependency with prebuilt binaries from npm, so where it is missing the tables do the work.
 * Its second argument and result are finished CRCs, as Go's crc32.Update.
 */
const native: ((input: Uint8Array, initial?: number) => number) | undefined = (() => {
	if (process.env['ETCDTOP_CRC32C'] === 'js') return undefined;
	try {
		const loaded = createRequire(import.meta.url)('@node-rs/crc32') as {crc32c?: (input: Uint8Array, initial?: number) => number};
		const check = loaded.crc32c;
		return check && check(Buffer.from('123456789')) === 0xe3069283 ? check : undefined;
	} catch {
		return undefined;
	}
})();

/** Below this the call into native code costs more than the tables. */
const nativeMinBytes = 256;

export const crc32cImplementation: 'native' | 'js' = native ? 'native' : 'js';

const tables: readonly Uint32Array[] = (() => {
	const result = Array.from({length: 16}, () => new Uint32Array(256));
	const first = result[0]!;
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
		first[n] = c >>> 0;
	}
	for (let n = 0; n < 256; n++) {
		let c = first[n]!;
		for (let slice = 1; slice < 16; slice++) {
			c = (c >>> 8) ^ first[c & 0xff]!;
			result[slice]![n] = c >>> 0;
		}
	}
	return result;
})();

/** Word reads assume the bytes of a Uint32 are little-endian in memory; other hosts take the byte path. */
const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Incremental CRC-32C: feed it chunks in order, read `value` at the end, as Go's hash.Hash32. */
export class Crc32c {
	private state = 0xffffffff;

	update(data: Uint8Array): this {
		if (native && data.length >= nativeMinBytes) {
			this.state = (native(data, (this.state ^ 0xffffffff) >>> 0) ^ 0xffffffff) >>> 0;
			return this;
		}
		const t = tables as readonly Uint32Array[] as [
			Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
			Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
		];
		const [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15] = t;
		let crc = this.state;
		let index = 0;
		if (isLittleEndian && data.length >= 64) {
			while ((data.byteOffset + index) & 3) crc = (crc >>> 8) ^ t0[(crc ^ data[index++]!) & 0xff]!;
			const blocks = Math.floor((data.length - index) / 16);
			const words = new Uint32Array(data.buffer, data.byteOffset + index, blocks * 4);
			for (let word = 0; word < words.length; word += 4) {
				const a = (crc ^ words[word]!) >>> 0;
				const b = words[word + 1]!;
				const c = words[word + 2]!;
				const d = words[word + 3]!;
				crc =
					t15[a & 0xff]! ^ t14[(a >>> 8) & 0xff]! ^ t13[(a >>> 16) & 0xff]! ^ t12[a >>> 24]! ^
					t11[b & 0xff]! ^ t10[(b >>> 8) & 0xff]! ^ t9[(b >>> 16) & 0xff]! ^ t8[b >>> 24]! ^
					t7[c & 0xff]! ^ t6[(c >>> 8) & 0xff]! ^ t5[(c >>> 16) & 0xff]! ^ t4[c >>> 24]! ^
					t3[d & 0xff]! ^ t2[(d >>> 8) & 0xff]! ^ t1[(d >>> 16) & 0xff]! ^ t0[d >>> 24]!;
			}
			index += blocks * 16;
		}
		while (index < data.length) crc = (crc >>> 8) ^ t0[(crc ^ data[index++]!) & 0xff]!;
		this.state = crc >>> 0;
		return this;
	}

	get value(): number {
		return (this.state ^ 0xffffffff) >>> 0;
	}
}

export function crc32c(data: Uint8Array): number {
	return new Crc32c().update(data).value;
}
