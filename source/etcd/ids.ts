/** etcd's uint64 IDs arrive as decimal strings; etcdctl shows them as hex. */
export function toHexId(decimal: string | number | bigint): string {
	return BigInt(decimal).toString(16);
}

export function toDecimalId(hex: string): string {
	return BigInt(`0x${hex}`).toString(10);
}

export function toNumber(decimal: string | number | undefined): number {
	return decimal === undefined ? 0 : Number(decimal);
}
