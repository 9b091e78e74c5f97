// CRC-32C (Castagnoli), the checksum `etcdctl snapshot status` prints as HASH. Node 20 has no
// built-in for it (zlib.crc32 is IEEE and newer), and a 256 MB snapshot goes through it, so it is
// table-driven with slicing-by-8 rather than bit by bit.

const polynomial = 0x82f63b78;

const tables: readonly Uint32Array[] = (() => {
	const result = Array.from({length: 8}, () => new Uint32Array(256));
	const first = result[0]!;
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
		first[n] = c >>> 0;
	}
	for (let n = 0; n < 256; n++) {
		let c = first[n]!;
		for (let slice = 1; slice < 8; slice++) {
			c = (c >>> 8) ^ first[c & 0xff]!;
			result[slice]![n] = c >>> 0;
		}
	}
	return result;
})();

/** Incremental CRC-32C: feed it chunks in order, read `value` at the end, as Go's hash.Hash32. */
export class Crc32c {
	private state = 0xffffffff;

	update(data: Uint8Array): this {
		const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
		let crc = this.state;
		let index = 0;
		const end8 = data.length - (data.length % 8);
		while (index < end8) {
			const low = (crc ^ (data[index]! | (data[index + 1]! << 8) | (data[index + 2]! << 16) | (data[index + 3]! << 24))) >>> 0;
			crc =
				t7[low & 0xff]! ^
				t6[(low >>> 8) & 0xff]! ^
				t5[(low >>> 16) & 0xff]! ^
				t4[low >>> 24]! ^
				t3[data[index + 4]!]! ^
				t2[data[index + 5]!]! ^
				t1[data[index + 6]!]! ^
				t0[data[index + 7]!]!;
			index += 8;
		}
		while (index < data.length) {
			crc = (crc >>> 8) ^ t0[(crc ^ data[index]!) & 0xff]!;
			index++;
		}
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
