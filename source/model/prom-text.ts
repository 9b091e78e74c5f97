/**
 * Prometheus' text exposition format (version 0.0.4, what etcd 3.4 and 3.5 serve on /metrics), read
 * only for the metric names asked for. The text is read as bytes, in the pieces it arrived in: a line
 * whose name is not wanted costs a newline search and a name comparison, and is never decoded, so a
 * ~150 KB answer is never joined into one buffer or one string (each would be a fresh large
 * allocation per read, costlier than the parse). A wanted line that does not parse is an error naming
 * the line, never a silently wrong number.
 */

export interface PromSample {
	readonly name: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly value: number;
}

export class PromParseError extends Error {
	override readonly name = 'PromParseError';
}

/** A body as text, or as the byte pieces it was received in (UTF-8). */
export type PromBody = string | readonly Uint8Array[];

const space = 0x20;
const tab = 0x09;
const newline = 0x0a;
const carriageReturn = 0x0d;

function isNameChar(code: number): boolean {
	// [a-zA-Z0-9_:]
	return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f || code === 0x3a;
}

/** Go's strconv.ParseFloat spellings that Prometheus writes: +Inf, -Inf, NaN, and plain decimals. */
export function parsePromValue(text: string): number | undefined {
	switch (text) {
		case '+Inf':
		case 'Inf':
			return Number.POSITIVE_INFINITY;
		case '-Inf':
			return Number.NEGATIVE_INFINITY;
		case 'NaN':
			return Number.NaN;
	}
	if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
	return Number(text);
}

class LineReader {
	index: number;
	constructor(
		readonly line: string,
		start: number,
		readonly lineNumber: number,
	) {
		this.index = start;
	}

	fail(what: string): never {
		const shown = this.line.length > 120 ? `${this.line.slice(0, 117)}...` : this.line;
		throw new PromParseError(`line ${this.lineNumber}: ${what}: ${JSON.stringify(shown)}`);
	}

	skipBlanks(): void {
		while (this.index < this.line.length) {
			const code = this.line.charCodeAt(this.index);
			if (code !== space && code !== tab) return;
			this.index++;
		}
	}

	name(): string {
		const start = this.index;
		while (this.index < this.line.length && isNameChar(this.line.charCodeAt(this.index))) this.index++;
		if (this.index === start) this.fail('a label name was expected');
		return this.line.slice(start, this.index);
	}

	/** A double-quoted label value with the format's three escapes: \\, \" and \n. */
	quoted(): string {
		if (this.line[this.index] !== '"') this.fail('a label value must be in double quotes');
		this.index++;
		let value = '';
		let start = this.index;
		for (;;) {
			if (this.index >= this.line.length) this.fail('a label value is not closed');
			const char = this.line[this.index]!;
			if (char === '"') {
				value += this.line.slice(start, this.index);
				this.index++;
				return value;
			}
			if (char === '\\') {
				value += this.line.slice(start, this.index);
				const escaped = this.line[this.index + 1];
				if (escaped === '\\' || escaped === '"') value += escaped;
				else if (escaped === 'n') value += '\n';
				else this.fail(`unknown escape \\${escaped ?? ''} in a label value`);
				this.index += 2;
				start = this.index;
				continue;
			}
			this.index++;
		}
	}

	labels(): Record<string, string> {
		const labels: Record<string, string> = {};
		this.index++; // {
		for (;;) {
			this.skipBlanks();
			if (this.line[this.index] === '}') {
				this.index++;
				return labels;
			}
			const name = this.name();
			this.skipBlanks();
			if (this.line[this.index] !== '=') this.fail(`"=" was expected after label ${name}`);
			this.index++;
			this.skipBlanks();
			labels[name] = this.quoted();
			this.skipBlanks();
			if (this.line[this.index] === ',') this.index++;
			else if (this.line[this.index] !== '}') this.fail('"," or "}" was expected between labels');
		}
	}

	rest(): string {
		this.skipBlanks();
		const start = this.index;
		while (this.index < this.line.length) {
			const code = this.line.charCodeAt(this.index);
			if (code === space || code === tab) break;
			this.index++;
		}
		return this.line.slice(start, this.index);
	}
}

/**
 * Metric names to read, prepared once (as bytes, grouped by length: a line's name is compared only with
 * the names as long as it) for a caller that reads the same names on every scrape.
 */
export class PromNames {
	private readonly byLength = new Map<number, Array<{readonly name: string; readonly bytes: Uint8Array}>>();
	/** 1 where a wanted name starts with that byte: most lines (grpc_…, go_…, comments) end at their first byte. */
	readonly firstBytes = new Uint8Array(256);

	constructor(names: Iterable<string>) {
		const encoder = new TextEncoder();
		for (const name of names) {
			const bytes = encoder.encode(name);
			if (bytes.length > 0) this.firstBytes[bytes[0]!] = 1;
			const sameLength = this.byLength.get(bytes.length) ?? [];
			sameLength.push({name, bytes});
			this.byLength.set(bytes.length, sameLength);
		}
	}

	/** The wanted name spelled by `line[start, end)`, if any. */
	find(line: Uint8Array, start: number, end: number): string | undefined {
		const candidates = this.byLength.get(end - start);
		if (!candidates) return undefined;
		for (const {name, bytes} of candidates) {
			// Names share prefixes (etcd_server_…): compare from the end.
			let index = bytes.length - 1;
			while (index >= 0 && bytes[index] === line[start + index]) index--;
			if (index < 0) return name;
		}
		return undefined;
	}
}

const utf8 = new TextDecoder();

/** Reads one line, `bytes[start, end)` without its newline, into `samples` when its name is wanted. */
function readLine(bytes: Uint8Array, start: number, end: number, lineNumber: number, wanted: PromNames, samples: PromSample[]): void {
	let first = start;
	while (first < end && (bytes[first] === space || bytes[first] === tab)) first++;
	if (first === end || wanted.firstBytes[bytes[first]!] === 0) return;
	let nameEnd = first;
	while (nameEnd < end && isNameChar(bytes[nameEnd]!)) nameEnd++;
	const name = wanted.find(bytes, first, nameEnd);
	if (name === undefined) return;

	const lineEnd = end > start && bytes[end - 1] === carriageReturn ? end - 1 : end;
	const reader: LineReader = new LineReader(utf8.decode(bytes.subarray(start, lineEnd)), nameEnd - start, lineNumber);
	reader.skipBlanks();
	const labels = reader.line[reader.index] === '{' ? reader.labels() : {};
	const valueText = reader.rest();
	if (valueText === '') reader.fail(`metric ${name} has no value`);
	const value = parsePromValue(valueText);
	if (value === undefined) reader.fail(`metric ${name} has a value that is not a number`);
	const timestamp = reader.rest();
	if (timestamp !== '' && !/^-?\d+$/.test(timestamp)) reader.fail(`metric ${name} has a timestamp that is not an integer`);
	reader.skipBlanks();
	if (reader.index < reader.line.length) reader.fail(`unexpected text after the value of ${name}`);
	samples.push({name, labels, value});
}

/**
 * The samples whose metric name is in `names` (for a histogram family that means its _bucket, _sum
 * and _count names), in the order they appear. Comments (HELP, TYPE) and blank lines are skipped; a
 * timestamp after the value is accepted and dropped.
 */
export function parsePromText(body: PromBody, names: PromNames | Iterable<string>): PromSample[] {
	const wanted = names instanceof PromNames ? names : new PromNames(names);
	const pieces = typeof body === 'string' ? [new TextEncoder().encode(body)] : body;
	const samples: PromSample[] = [];
	let lineNumber = 0;
	// The start of a line that began in an earlier piece, copied out of it.
	let carried: Uint8Array | undefined;
	for (const piece of pieces) {
		let position = 0;
		if (carried) {
			const end = piece.indexOf(newline);
			const joined = new Uint8Array(carried.length + (end === -1 ? piece.length : end));
			joined.set(carried);
			joined.set(end === -1 ? piece : piece.subarray(0, end), carried.length);
			if (end === -1) {
				carried = joined;
				continue;
			}
			carried = undefined;
			readLine(joined, 0, joined.length, ++lineNumber, wanted, samples);
			position = end + 1;
		}
		while (position < piece.length) {
			const end = piece.indexOf(newline, position);
			if (end === -1) {
				carried = piece.slice(position);
				break;
			}
			readLine(piece, position, end, ++lineNumber, wanted, samples);
			position = end + 1;
		}
	}
	if (carried) readLine(carried, 0, carried.length, ++lineNumber, wanted, samples);
	return samples;
}
