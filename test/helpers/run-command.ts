import {parseCommandLine} from '../../source/commands/argv.js';
import {exitCodeOf, messageOf} from '../../source/commands/errors.js';

/**
 * A command run in this process, as source/cli.ts runs it (the line parsed, the command's exit code, or
 * a thrown error's code and one line on stderr): for the unit tier, which starts no CLI process.
 */
export async function runCommand(argv: readonly string[]): Promise<{readonly code: number; readonly stdout: string; readonly stderr: string}> {
	let stdout = '';
	let stderr = '';
	const io = {out: (text: string) => void (stdout += `${text}\n`), err: (text: string) => void (stderr += `${text}\n`)};
	try {
		const line = parseCommandLine(argv);
		if (line.kind === 'help') {
			io.out(line.text);
			return {code: 0, stdout, stderr};
		}
		return {code: await line.command.run({args: line.args, flags: line.flags, io}), stdout, stderr};
	} catch (error) {
		io.err(`etcdtop: ${messageOf(error)}`);
		return {code: exitCodeOf(error), stdout, stderr};
	}
}
