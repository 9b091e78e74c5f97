import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {evaluateRule, parseByteSize, parseRule, RuleError} from '../../source/ops/defrag-rule.js';

const mib = 1024 * 1024;
const select = (rule: string, dbSize: number, dbSizeInUse: number, dbQuota?: number) => evaluateRule(parseRule(rule), {dbSize, dbSizeInUse, dbQuota});

describe('defrag rule language', () => {
	it('selects by size and free ratio, with units', () => {
		const rule = 'dbSize > 100MiB && dbSizeFree/dbSize > 0.5';
		assert.deepEqual(select(rule, 200 * mib, 50 * mib), {isSelected: true});
		assert.deepEqual(select(rule, 200 * mib, 150 * mib), {isSelected: false});
		assert.deepEqual(select(rule, 50 * mib, 1 * mib), {isSelected: false});
	});

	it('knows SI and binary units, and spaces between number and unit', () => {
		assert.deepEqual(select('dbSize >= 1 GB', 1e9, 0), {isSelected: true});
		assert.deepEqual(select('dbSize >= 1 GiB', 1e9, 0), {isSelected: false});
		assert.deepEqual(select('dbSize == 2KiB', 2048, 0), {isSelected: true});
		assert.deepEqual(select('dbSize == 2kb', 2000, 0), {isSelected: true});
	});

	it('honours precedence: && binds tighter than ||, * before +, ! and unary minus', () => {
		assert.deepEqual(select('dbSize > 10 || dbSize > 1 && dbSize < 0', 20, 0), {isSelected: true});
		assert.deepEqual(select('(dbSize > 10 || dbSize > 1) && dbSize < 0', 20, 0), {isSelected: false});
		assert.deepEqual(select('dbSize == 2 + 3 * 4', 14, 0), {isSelected: true});
		assert.deepEqual(select('!(dbSize > 10)', 5, 0), {isSelected: true});
		assert.deepEqual(select('-dbSize < 0', 5, 0), {isSelected: true});
		assert.deepEqual(select('dbSizeInUse != dbSize - dbSizeFree', 10, 4), {isSelected: false});
	});

	it('reads the quota and its usage, and will not judge a member whose quota is unknown', () => {
		assert.deepEqual(select('dbQuotaUsage > 0.8', 90, 10, 100), {isSelected: true});
		assert.deepEqual(select('dbQuota - dbSize < 20', 90, 10, 100), {isSelected: true});
		const unknown = select('dbQuotaUsage > 0.8', 90, 10);
		assert.equal(unknown.isSelected, false);
		assert.match((unknown as {problem: string}).problem, /quota.*unknown/);
	});

	it('short-circuits, so a guard avoids 0/0; an unguarded 0/0 is a problem, not a selection', () => {
		assert.deepEqual(select('dbSize > 0 && dbSizeFree / dbSize > 0.5', 0, 0), {isSelected: false});
		const nan = select('dbSizeFree / dbSize > 0.5', 0, 0);
		assert.equal(nan.isSelected, false);
		assert.ok('problem' in nan);
	});

	it('refuses bad rules with what and where, and never evaluates code', () => {
		const cases: Array<[string, RegExp]> = [
			['', /empty/],
			['dbSize >', /expected a number.*end/],
			['dbSise > 1', /unknown variable "dbSise"/],
			['dbSize > 1 parsecs', /unknown unit "parsecs"/],
			['dbSize > 1; process.exit(1)', /unexpected character ";"/],
			['(dbSize > 1', /expected "\)"/],
			['dbSize > 1 < 2', /cannot be chained/],
			['dbSize > 1 dbSize', /unit "dbSize"/],
			['constructor', /unknown variable/],
			['a'.repeat(1001), /longer than/],
			['('.repeat(60) + '1' + ')'.repeat(60), /nests too deeply/],
		];
		for (const [text, pattern] of cases) {
			assert.throws(() => parseRule(text), (error: unknown) => error instanceof RuleError && pattern.test(error.message), text.slice(0, 40));
		}
	});

	it('variable names are case-insensitive, like etcd-defrag users type them', () => {
		assert.deepEqual(select('DBSIZE > 1', 2, 0), {isSelected: true});
	});

	it('parses byte sizes for --quota-backend-bytes', () => {
		assert.equal(parseByteSize('8589934592'), 8 * 1024 ** 3);
		assert.equal(parseByteSize('16MiB'), 16 * mib);
		assert.equal(parseByteSize('2 GB'), 2e9);
		assert.equal(parseByteSize('0'), undefined);
		assert.equal(parseByteSize('-5'), undefined);
		assert.equal(parseByteSize('lots'), undefined);
		assert.equal(parseByteSize('5 furlongs'), undefined);
	});
});
