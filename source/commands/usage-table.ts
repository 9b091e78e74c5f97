import {ConfigError} from '../config/errors.js';
import {humanBytes} from '../model/format.js';
import {visibleLine} from '../model/visible-text.js';
import {renderTable} from '../output/table.js';
import type {ParsedFlags} from './flags.js';

// What `usage` and `snapshot inspect` share, apart from the maintenance commands: `snapshot inspect`
// reads a file and must not load etcd3 and gRPC with them.

export function positiveInteger(value: string | undefined, flag: string, example: string, allowZero = false): number | undefined {
	if (value === undefined) return undefined;
	const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
	if (!Number.isSafeInteger(parsed) || (!allowZero && parsed < 1)) throw new ConfigError(flag, `"${value}" is not a whole number${allowZero ? '' : ' of at least 1'}`, `e.g. ${flag} ${example}`);
	return parsed;
}

export function depthOf(flags: ParsedFlags): number {
	const depth = positiveInteger(flags.depth, '--depth', '3') ?? 3;
	if (depth > 64) throw new ConfigError('--depth', `${depth} is deeper than any key path etcdtop groups by`, 'use 1 to 64');
	return depth;
}

export function usageTable(rows: readonly {prefix: string; keys: number; keyBytes: number; valueBytes: number; oldRevisions?: number; oldBytes?: number}[], isSnapshot: boolean): string {
	const shown = (prefix: string) => (prefix === '' ? '(keys without /)' : visibleLine(prefix));
	return renderTable(
		['PREFIX', 'KEYS', 'VALUE BYTES', 'VALUES', ...(isSnapshot ? ['OLD REVISIONS', 'OLD BYTES'] : [])],
		rows.map(row => [
			shown(row.prefix),
			String(row.keys),
			String(row.valueBytes),
			humanBytes(row.valueBytes),
			...(isSnapshot ? [String(row.oldRevisions ?? 0), humanBytes(row.oldBytes ?? 0)] : []),
		]),
	).trimEnd();
}
