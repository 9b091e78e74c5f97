import {Keyring} from '../ssh/connect.js';
import type {SshConnection} from '../ssh/connection.js';
import {commandLine, memberSshHost, runOnMember, type MemberHostOptions} from '../ssh/remote-exec.js';
import {loadSshConfig} from '../ssh/ssh-config.js';
import {formatTarget, type SshTarget} from '../ssh/target.js';
import type {Effect} from './member-workflow.js';
import type {StartResult} from './member-run.js';

/** How member changes reach a member's host: the validated --ssh-host, --ssh-identity, --ssh-known-hosts settings. */
export interface MemberSshSettings {
	readonly hostMap: ReadonlyMap<string, SshTarget>;
	readonly identityFile: string | undefined;
	readonly knownHostsPath: string;
	readonly isAcceptingNew: boolean;
}

/**
 * The one place member changes turn SSH settings into a way to run the start command on the new member's
 * host (its peer URL's host unless `--ssh-host` maps it), through the `--via` host when there is one.
 */
export function startCommandRunner(
	ssh: MemberSshSettings,
	timeoutMs: number,
	via?: SshConnection,
	/** Each line the command prints, as it arrives, prefixed with the host. */
	onOutput?: (line: string) => void,
): (effect: Extract<Effect, {type: 'run-start-command'}>) => Promise<StartResult> {
	const keyring = new Keyring();
	return async effect => {
		const options: MemberHostOptions = {
			member: effect.member,
			hostMap: new Map(ssh.hostMap),
			sshConfig: loadSshConfig(),
			...(ssh.identityFile === undefined ? {} : {identityFile: ssh.identityFile}),
			hostKeys: {knownHostsPath: ssh.knownHostsPath, isAcceptingNew: ssh.isAcceptingNew},
			keyring,
			...(via ? {via} : {}),
		};
		const host = memberSshHost(options);
		const hostLabel = formatTarget({user: host.user, host: host.host, port: host.port});
		const output: string[] = [];
		const keep = (line: string) => {
			onOutput?.(`${hostLabel}: ${line}`);
			output.push(line);
			if (output.length > 20) output.shift();
		};
		const command = {argv: effect.argv, env: effect.env};
		const result = await runOnMember({...options, command, timeoutMs, onStdoutLine: keep, onStderrLine: keep});
		return {exitCode: result.exitCode, output, commandLine: commandLine(command), host: hostLabel};
	};
}
