/**
 * Prometheus' text exposition format (version 0.0.4, what etcd 3.4 and 3.5 serve on /metrics), read
 * only for the metric names asked for: every other line costs one name lookup and is not validated.
 * A wanted line that does not parse is an error naming the line, never a silently wrong number.
 */

export interface PromSample {
	readonly name: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly value: number;
}

export class PromParseError extends Error {
	override readonly name = 'PromParseError';
}

const space = 0x20;
const tab = 0x09;

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
 * The samples whose metric name `isWanted` accepts (for a histogram family that means its _bucket,
 * _sum and _count names), in the order they appear. Comments (HELP, TYPE) and blank lines are skipped;
 * a timestamp after the value is accepted and dropped.
 */
export function parsePromText(text: string, isWanted: (name: string) => boolean): PromSample[] {
	const samples: PromSample[] = [];
	let position = 0;
	let lineNumber = 0;
	while (position < text.length) {
		let end = text.indexOf('\n', position);
		if (end === -1) end = text.length;
		lineNumber++;
		const lineStart = position;
		position = end + 1;
		let start = lineStart;
		while (start < end && (text.charCodeAt(start) === space || text.charCodeAt(start) === tab)) start++;
		if (start === end || text[start] === '#') continue;
		let nameEnd = start;
		while (nameEnd < end && isNameChar(text.charCodeAt(nameEnd))) nameEnd++;
		const name = text.slice(start, nameEnd);
		if (!isWanted(name)) continue;

		const lineEnd = end > lineStart && text[end - 1] === '\r' ? end - 1 : end;
		const reader: LineReader = new LineReader(text.slice(lineStart, lineEnd), nameEnd - lineStart, lineNumber);
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
	return samples;
}
