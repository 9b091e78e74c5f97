import {ConfigError} from './errors.js';

export const writeFormats = ['table', 'json', 'simple'] as const;
export type WriteFormat = (typeof writeFormats)[number];

/** `-w/--write-out`, as etcdctl takes it: table (default), json or simple; anything else is exit 3. */
export function parseWriteFormat<const T extends WriteFormat>(value: string | undefined, allowed: readonly T[], command: string): T {
	const format = value ?? 'table';
	if ((allowed as readonly string[]).includes(format)) return format as T;
	throw new ConfigError('--write-out', `"${format}" is not an output format for ${command}`, `use ${allowed.join(', ')}`);
}
