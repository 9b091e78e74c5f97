import {ConfigError} from '../config/errors.js';
import {exitCodes} from '../output/exit-code.js';

// The one place an error becomes an exit code (monitoring-plugin convention, output/exit-code.ts):
//
//   usage    3  ConfigError: a flag, operand, variable or file the operator gave, or an SSH host key or
//               authentication problem (commands/via.ts maps those); the message names it and the fix.
//   failed   1  not thrown: a command that ran and failed (a save, a verify, a check) prints why and
//               returns exitCodes.warning itself.
//   critical 2  anything else: the cluster or the machine failed in a way the command did not expect.
//
// snapshot/, ops/, etcd/, ssh/ and output/ throw their own errors and never ConfigError: the Snapshots
// pane and the workflows see what went wrong, not "bad usage". A command decides which of them are the
// operator's input (SnapshotSaveError with `input`, an SshError a person must fix) and maps them here.

export function exitCodeOf(error: unknown): number {
	return error instanceof ConfigError ? exitCodes.usage : exitCodes.critical;
}

/** One line for stderr: no stack, whatever was thrown. */
export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
