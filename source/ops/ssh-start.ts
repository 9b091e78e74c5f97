import {homedir} from 'node:os';
import {join} from 'node:path';
import {Keyring} from '../ssh/connect.js';
import {commandLine, memberSshHost, runOnMember, type MemberHostOptions} from '../ssh/remote-exec.js';
import {loadSshConfig} from '../ssh/ssh-config.js';
import {formatTarget, parseHostMap} from '../ssh/target.js';
import type {Effect} from './member-workflow.js';
import type {StartResult} from './runner.js';

export interface MemberSshFlags {
	/** `--ssh-host NAME=[user@]host[:port]`, repeatable. */
	readonly sshHost?: readonly string[];
	readonly sshIdentity?: string;
	readonly sshKnownHosts?: string;
}

/**
 * The one place member changes turn SSH flags into a way to run the start command on the new member's
 * host (its peer URL's host unless `--ssh-host` maps it). Kept to this function so it can be reconciled
 * with the console's `--via`/`--ssh-host` wiring in one spot. A bad `--ssh-host` throws SshError (bad-target)
 * here, before anything changes.
 */
export function startCommandRunner(flags: MemberSshFlags, timeoutMs: number): (effect: Extract<Effect, {type: 'run-start-command'}>) => Promise<StartResult> {
	const hostMap = parseHostMap(flags.sshHost ?? []);
	const keyring = new Keyring();
	return async effect => {
		const options: MemberHostOptions = {
			member: effect.member,
			hostMap,
			sshConfig: loadSshConfig(),
			...(flags.sshIdentity === undefined ? {} : {identityFile: flags.sshIdentity}),
			hostKeys: {knownHostsPath: flags.sshKnownHosts ?? join(homedir(), '.ssh', 'known_hosts'), isAcceptingNew: false},
			keyring,
		};
		const host = memberSshHost(options);
		const output: string[] = [];
		const keep = (line: string) => {
			output.push(line);
			if (output.length > 20) output.shift();
		};
		const command = {argv: effect.argv, env: effect.env};
		const result = await runOnMember({...options, command, timeoutMs, onStdoutLine: keep, onStderrLine: keep});
		return {exitCode: result.exitCode, output, commandLine: commandLine(command), host: formatTarget({user: host.user, host: host.host, port: host.port})};
	};
}
