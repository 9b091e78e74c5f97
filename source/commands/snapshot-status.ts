import {statSync} from 'node:fs';
import {ConfigError} from '../config/errors.js';
import {readSnapshotStatus, type SnapshotStatus} from '../snapshot/snapshot-status.js';

/** Where a command writes: `out` for results (stdout), `err` for diagnostics (stderr). Each call is one line or more. */
export interface CommandIo {
	readonly out: (text: string) => void;
	readonly err: (text: string) => void;
}

export const statusFormats = ['table', 'json', 'simple'] as const;
export type StatusFormat = (typeof statusFormats)[number];

/** go-humanize's Bytes(), which etcdctl uses for TOTAL SIZE: SI units, one decimal below 10. */
export function humanizeBytes(bytes: number): string {
	if (bytes < 10) return `${bytes} B`;
	const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
	const exponent = Math.floor(Math.log(bytes) / Math.log(1000));
	const value = Math.floor((bytes / 1000 ** exponent) * 10 + 0.5) / 10;
	return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[exponent]}`;
}

/** etcdctl's table (olekukonko/tablewriter): centred upper-case headers, right-aligned cells. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
	const widths = headers.map((header, column) => Math.max(header.length, ...rows.map(row => (row[column] ?? '').length)));
	const rule = `+${widths.map(width => '-'.repeat(width + 2)).join('+')}+`;
	const centre = (text: string, width: number) => {
		const gap = width - text.length;
		return `${' '.repeat(Math.floor(gap / 2))}${text}${' '.repeat(Math.ceil(gap / 2))}`;
	};
	const header = `| ${headers.map((text, column) => centre(text.toUpperCase(), widths[column]!)).join(' | ')} |`;
	const body = rows.map(row => `| ${row.map((text, column) => text.padStart(widths[column]!)).join(' | ')} |`);
	return [rule, header, rule, ...body, rule].join('\n');
}

function render(status: SnapshotStatus, format: StatusFormat): string {
	const hashHex = status.hash.toString(16);
	switch (format) {
		case 'json':
			return JSON.stringify({hash: status.hash, revision: status.revision, totalKey: status.totalKey, totalSize: status.totalSize, sha256: status.sha256});
		case 'simple':
			return `${hashHex}, ${status.revision}, ${status.totalKey}, ${humanizeBytes(status.totalSize)}, ${status.sha256}`;
		case 'table':
			return renderTable(
				['hash', 'revision', 'total keys', 'total size', 'sha256'],
				[[hashHex, String(status.revision), String(status.totalKey), humanizeBytes(status.totalSize), status.sha256]],
			);
	}
}

export function parseStatusFormat(format: string | undefined): StatusFormat {
	const value = format ?? 'table';
	if ((statusFormats as readonly string[]).includes(value)) return value as StatusFormat;
	throw new ConfigError('--write-out', `"${value}" is not an output format for snapshot status`, `use one of ${statusFormats.join(', ')}`);
}

/**
 * `etcdtop snapshot status FILE [-w table|json|simple]`. Prints the numbers `etcdctl snapshot status` prints,
 * plus whether etcd's sha256 trailer matches. Returns 0 when the file is sound, 1 when its structure is
 * damaged or the trailer does not match. A file without a trailer (a db copied from a data dir) is sound.
 */
export async function snapshotStatusCommand(file: string, format: string | undefined, io: CommandIo): Promise<number> {
	const writeFormat = parseStatusFormat(format);
	let stats;
	try {
		stats = statSync(file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new ConfigError('FILE', `${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, 'give the path of a snapshot file');
	}
	if (!stats.isFile()) throw new ConfigError('FILE', `${file} is not a regular file`, 'give the path of a snapshot file');

	let status: SnapshotStatus;
	try {
		status = await readSnapshotStatus(file);
	} catch (error) {
		io.err(`snapshot status: cannot read ${file}: ${(error as Error).message}`);
		return 1;
	}
	if (status.problemCount > 0) {
		// As etcdctl: a file that fails the integrity check gets no numbers, only the reasons.
		const headline = `snapshot file integrity check failed. ${status.problemCount} errors found.`;
		if (writeFormat === 'json') {
			io.out(JSON.stringify({error: headline, problems: status.problems, sha256: status.sha256}));
		}
		io.err([`${file}: ${headline}`, ...status.problems.map(problem => `  ${problem}`), ...(status.problemCount > status.problems.length ? [`  … and ${status.problemCount - status.problems.length} more`] : [])].join('\n'));
		if (status.sha256 === 'mismatch') io.err(`${file}: the sha256 trailer does not match the database bytes either`);
		return 1;
	}
	io.out(render(status, writeFormat));
	if (status.sha256 === 'mismatch') {
		io.err(`${file}: the sha256 trailer does not match the database bytes: the file changed after etcd sent it; etcdctl snapshot restore will refuse it`);
		return 1;
	}
	if (status.sha256 === 'missing') {
		io.err(`${file}: no sha256 trailer (a database copied from a data dir?); restore it with etcdctl snapshot restore --skip-hash-check`);
	}
	return 0;
}
