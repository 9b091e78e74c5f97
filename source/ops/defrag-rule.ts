/**
 * `--rule EXPR`: which members a defrag selects, in a small language parsed by hand (never eval), close to
 * etcd-defrag's rules:
 *
 *   dbSize > 100MiB && dbSizeFree / dbSize > 0.5
 *   dbQuotaUsage > 0.8 || dbSizeFree > 1GiB
 *
 * Variables (bytes, per member): dbSize, dbSizeInUse, dbSizeFree (= dbSize - dbSizeInUse), dbQuota, and
 * dbQuotaUsage (= dbSize / dbQuota, a fraction). Numbers may carry a unit: B, KB, MB, GB, TB (powers of
 * 1000) or KiB, MiB, GiB, TiB (powers of 1024). Operators, loosest first: `||`, `&&`, `!`, comparisons
 * (`<` `<=` `>` `>=` `==` `!=`), `+` `-`, `*` `/`, unary `-`, parentheses.
 */
export const ruleVariables = ['dbSize', 'dbSizeInUse', 'dbSizeFree', 'dbQuota', 'dbQuotaUsage'] as const;
export type RuleVariable = (typeof ruleVariables)[number];

export type RuleNode =
	| {readonly type: 'number'; readonly value: number}
	| {readonly type: 'variable'; readonly name: RuleVariable}
	| {readonly type: 'not'; readonly operand: RuleNode}
	| {readonly type: 'negate'; readonly operand: RuleNode}
	| {readonly type: 'binary'; readonly operator: BinaryOperator; readonly left: RuleNode; readonly right: RuleNode};

type BinaryOperator = '||' | '&&' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '+' | '-' | '*' | '/';

export interface Rule {
	readonly text: string;
	readonly root: RuleNode;
	/** Whether the rule reads the quota (then a member whose quota is unknown cannot be judged). */
	readonly usesQuota: boolean;
}

export class RuleError extends Error {
	override readonly name = 'RuleError';
	constructor(
		readonly problem: string,
		readonly position: number,
	) {
		super(`${problem} at character ${position + 1}`);
	}
}

const units: Readonly<Record<string, number>> = {
	b: 1,
	kb: 1e3,
	mb: 1e6,
	gb: 1e9,
	tb: 1e12,
	kib: 1024,
	mib: 1024 ** 2,
	gib: 1024 ** 3,
	tib: 1024 ** 4,
};

type Token =
	| {readonly kind: 'number'; readonly value: number; readonly at: number}
	| {readonly kind: 'name'; readonly value: string; readonly at: number}
	| {readonly kind: 'operator'; readonly value: string; readonly at: number}
	| {readonly kind: 'end'; readonly at: number};

const operators = ['||', '&&', '<=', '>=', '==', '!=', '<', '>', '+', '-', '*', '/', '!', '(', ')'];
const maxLength = 1000;
const maxDepth = 50;

function tokenize(text: string): Token[] {
	const tokens: Token[] = [];
	let at = 0;
	while (at < text.length) {
		const char = text[at]!;
		if (/\s/.test(char)) {
			at++;
			continue;
		}
		const number = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([A-Za-z]+)?/.exec(text.slice(at));
		if (number && /\d/.test(char)) {
			let value = Number(number[1]);
			const unit = number[2];
			if (unit !== undefined) {
				const factor = units[unit.toLowerCase()];
				if (factor === undefined) throw new RuleError(`unknown unit "${unit}" (use B, KB, MB, GB, KiB, MiB, GiB, …)`, at + number[1]!.length);
				value *= factor;
			}
			tokens.push({kind: 'number', value, at});
			at += number[0].length;
			continue;
		}
		const name = /^[A-Za-z_]\w*/.exec(text.slice(at));
		if (name) {
			tokens.push({kind: 'name', value: name[0], at});
			at += name[0].length;
			continue;
		}
		const operator = operators.find(candidate => text.startsWith(candidate, at));
		if (operator) {
			tokens.push({kind: 'operator', value: operator, at});
			at += operator.length;
			continue;
		}
		throw new RuleError(`unexpected character ${JSON.stringify(char)}`, at);
	}
	tokens.push({kind: 'end', at: text.length});
	return tokens;
}

const levels: ReadonlyArray<readonly string[]> = [['||'], ['&&'], ['<', '<=', '>', '>=', '==', '!='], ['+', '-'], ['*', '/']];

/** Parses `text`; a RuleError says what is wrong and where. */
export function parseRule(text: string): Rule {
	if (text.trim() === '') throw new RuleError('the rule is empty', 0);
	if (text.length > maxLength) throw new RuleError(`the rule is longer than ${maxLength} characters`, maxLength);
	const tokens = tokenize(text);
	let index = 0;
	let usesQuota = false;
	const peek = () => tokens[index]!;
	const describe = (token: Token) => (token.kind === 'end' ? 'the end of the rule' : `"${String(token.value)}"`);

	const binary = (level: number, depth: number): RuleNode => {
		if (level === levels.length) return unary(depth);
		let left = binary(level + 1, depth);
		for (;;) {
			const token = peek();
			if (token.kind !== 'operator' || !levels[level]!.includes(token.value)) return left;
			index++;
			const right = binary(level + 1, depth);
			// Comparisons do not chain: "a < b < c" is almost always a mistake.
			if (level === 2 && (left.type === 'binary' && levels[2]!.includes(left.operator))) {
				throw new RuleError('comparisons cannot be chained; join them with &&', token.at);
			}
			left = {type: 'binary', operator: token.value as BinaryOperator, left, right};
		}
	};

	const unary = (depth: number): RuleNode => {
		if (depth > maxDepth) throw new RuleError('the rule nests too deeply', peek().at);
		const token = peek();
		if (token.kind === 'operator' && token.value === '!') {
			index++;
			return {type: 'not', operand: unary(depth + 1)};
		}
		if (token.kind === 'operator' && token.value === '-') {
			index++;
			return {type: 'negate', operand: unary(depth + 1)};
		}
		if (token.kind === 'operator' && token.value === '(') {
			index++;
			const inner = binary(0, depth + 1);
			const close = peek();
			if (close.kind !== 'operator' || close.value !== ')') throw new RuleError(`expected ")" but found ${describe(close)}`, close.at);
			index++;
			return inner;
		}
		if (token.kind === 'number') {
			index++;
			return {type: 'number', value: token.value};
		}
		if (token.kind === 'name') {
			index++;
			const name = ruleVariables.find(variable => variable.toLowerCase() === token.value.toLowerCase());
			if (!name) throw new RuleError(`unknown variable "${token.value}" (known: ${ruleVariables.join(', ')})`, token.at);
			if (name === 'dbQuota' || name === 'dbQuotaUsage') usesQuota = true;
			return {type: 'variable', name};
		}
		throw new RuleError(`expected a number, a variable or "(" but found ${describe(token)}`, token.at);
	};

	const root = binary(0, 0);
	const rest = peek();
	if (rest.kind !== 'end') throw new RuleError(`unexpected ${describe(rest)}`, rest.at);
	return {text, root, usesQuota};
}

export interface RuleInput {
	readonly dbSize: number;
	readonly dbSizeInUse: number;
	/** undefined: not known for this member. */
	readonly dbQuota: number | undefined;
}

export type RuleVerdict = {readonly isSelected: boolean} | {readonly isSelected: false; readonly problem: string};

/** Evaluates the rule for one member. Truthiness: a comparison is 1 or 0; a bare number selects when not 0. */
export function evaluateRule(rule: Rule, input: RuleInput): RuleVerdict {
	if (rule.usesQuota && (input.dbQuota === undefined || input.dbQuota <= 0)) {
		return {isSelected: false, problem: 'the rule reads the quota, which is unknown for this member'};
	}
	const values: Record<RuleVariable, number> = {
		dbSize: input.dbSize,
		dbSizeInUse: input.dbSizeInUse,
		dbSizeFree: Math.max(0, input.dbSize - input.dbSizeInUse),
		dbQuota: input.dbQuota ?? 0,
		dbQuotaUsage: input.dbQuota ? input.dbSize / input.dbQuota : 0,
	};
	const value = evaluate(rule.root, values);
	if (Number.isNaN(value)) return {isSelected: false, problem: 'the rule divides zero by zero for this member'};
	return {isSelected: value !== 0};
}

function evaluate(node: RuleNode, values: Readonly<Record<RuleVariable, number>>): number {
	switch (node.type) {
		case 'number':
			return node.value;
		case 'variable':
			return values[node.name];
		case 'not': {
			const operand = evaluate(node.operand, values);
			return Number.isNaN(operand) ? Number.NaN : operand === 0 ? 1 : 0;
		}
		case 'negate':
			return -evaluate(node.operand, values);
		case 'binary': {
			// && and || short-circuit, so "dbSize > 0 && dbSizeFree / dbSize > 0.5" never divides by zero.
			// NaN (0/0) is carried up rather than read as false, so the caller can say the rule could not judge.
			if (node.operator === '&&' || node.operator === '||') {
				const left = evaluate(node.left, values);
				if (Number.isNaN(left)) return left;
				if ((left !== 0) === (node.operator === '||')) return node.operator === '||' ? 1 : 0;
				const right = evaluate(node.right, values);
				return Number.isNaN(right) ? right : right !== 0 ? 1 : 0;
			}
			const left = evaluate(node.left, values);
			const right = evaluate(node.right, values);
			if (Number.isNaN(left) || Number.isNaN(right)) return Number.NaN;
			switch (node.operator) {
				case '<':
					return left < right ? 1 : 0;
				case '<=':
					return left <= right ? 1 : 0;
				case '>':
					return left > right ? 1 : 0;
				case '>=':
					return left >= right ? 1 : 0;
				case '==':
					return left === right ? 1 : 0;
				case '!=':
					return left !== right ? 1 : 0;
				case '+':
					return left + right;
				case '-':
					return left - right;
				case '*':
					return left * right;
				case '/':
					// x/0 is Infinity (a full ratio); 0/0 is NaN, reported as a problem.
					return left / right;
			}
		}
	}
}

/** A byte count as the flags take it: `8589934592`, `8GiB`, `500MB`. undefined when not one. */
export function parseByteSize(text: string): number | undefined {
	const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?\s*$/.exec(text);
	if (!match) return undefined;
	const factor = match[2] === undefined ? 1 : units[match[2].toLowerCase()];
	if (factor === undefined) return undefined;
	const value = Math.round(Number(match[1]) * factor);
	return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
