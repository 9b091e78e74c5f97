/** Bad input from flags, environment or files: shown as one line naming the input and the fix; exit 3. */
export class ConfigError extends Error {
	override readonly name = 'ConfigError';
	constructor(
		readonly input: string,
		readonly problem: string,
		readonly fix?: string,
	) {
		super(`${input}: ${problem}${fix ? ` (${fix})` : ''}`);
	}
}
