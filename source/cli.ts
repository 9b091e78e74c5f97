import './process-setup.js';
import {parseCommandLine} from './commands/argv.js';
import {exitCodeOf, messageOf} from './commands/errors.js';
import {exitCodes} from './output/exit-code.js';
import {terminalIo, writeErr} from './output/terminal.js';

// Dispatch only: the commands, their flags and help are declared in commands/table.ts and commands/flags.ts.

function hideArgvFromProcessList(): void {
	// On Linux the title overwrites the argv other users read in /proc/PID/cmdline, where a --password
	// or --user name:password would otherwise stay visible for the life of the console.
	process.title = 'etcdtop';
}

async function main(): Promise<number> {
	hideArgvFromProcessList();
	const line = parseCommandLine(process.argv.slice(2));
	if (line.kind === 'help') {
		terminalIo.out(line.text);
		return exitCodes.ok;
	}
	return line.command.run({args: line.args, flags: line.flags, io: terminalIo});
}

/**
 * Ends the process once output is flushed: gRPC channels to a hung member keep sockets open until
 * their own timers give up, which would hold a finished command for seconds.
 */
function exit(code: number): void {
	process.exitCode = code;
	process.stdout.write('', () => process.exit(code));
}

try {
	exit(await main());
} catch (error) {
	writeErr(`etcdtop: ${messageOf(error)}\n`);
	exit(exitCodeOf(error));
}
