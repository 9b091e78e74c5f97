import {ConfigError} from '../config/errors.js';
import {ClassifiedError, CredentialsRefusedError, isCredentialsKind} from '../etcd/errors.js';
import {exitCodes} from '../output/exit-code.js';

// The one place an error becomes an exit code (monitoring-plugin convention, output/exit-code.ts; the
// readme's "Exit codes of every command" is this table):
//
//   usage    3  ConfigError: a flag, operand, variable or file the operator gave, or an SSH host key or
//               authentication problem (commands/via.ts maps those); the message names it and the fix.
//               CredentialsRefusedError: every member refused the --user/password (or the user lacks the
//               role the call needs), and any call etcd refused so; never retried, the same code from every command.
//   failed   1  not thrown: a command that ran and failed (a save, a verify, a check) prints why and
//               returns exitCodes.warning itself.
//   critical 2  anything else: the cluster or the machine failed in a way the command did not expect.
//
// snapshot/, ops/, etcd/, ssh/ and output/ throw their own errors and never ConfigError: the Snapshots
// pane and the workflows see what went wrong, not "bad usage". A command decides which of them are the
// operator's input (SnapshotSaveError with `input`, an SshError a person must fix) and maps them here.

export function exitCodeOf(error: unknown): number {
	return error instanceof ConfigError || error instanceof CredentialsRefusedError || isCredentialsRefusal(error) ? exitCodes.usage : exitCodes.critical;
}

/** A call etcd refused for who the operator is (a Range for `usage`, say), thrown as it came: exit 3 all the same. */
function isCredentialsRefusal(error: unknown): boolean {
	return error instanceof ClassifiedError && isCredentialsKind(error.failure.kind);
}

/** The fix that goes with a refusal of the credentials (a refused role's words already carry theirs). */
export function credentialsFix(error: CredentialsRefusedError): string | undefined {
	if (error.failure.kind !== 'auth') return undefined;
	return /user name is empty/i.test(error.message) ? 'auth is on: give --user NAME (and ETCDCTL_PASSWORD)' : 'check --user and ETCDCTL_PASSWORD';
}

/** One line for stderr: no stack, whatever was thrown. */
export function messageOf(error: unknown): string {
	if (error instanceof CredentialsRefusedError) {
		const fix = credentialsFix(error);
		return fix ? `${error.message} (${fix})` : error.message;
	}
	return error instanceof Error ? error.message : String(error);
}
