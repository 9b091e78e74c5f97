import './process-setup.js';
import meow from 'meow';
import {flags, flagSpelling} from './cli-flags.js';
import {buildConfig, type Config} from './config/config.js';
import {ConfigError} from './config/errors.js';
import {promptSecret} from './config/secret-prompt.js';
import {exitCodes} from './output/exit-code.js';

const help = `
  Usage
    $ etcdtop [flags]                 the live console (default)
    $ etcdtop status [-w table|json|simple]
                                      one round of health checks, for scripts
    $ etcdtop demo [--members N]      a throwaway local cluster with the console on it
    $ etcdtop snapshot save FILE [--from NAME|ID] [--overwrite]
                                      stream a verified snapshot to FILE (+ FILE.meta.json)
    $ etcdtop snapshot status FILE [-w table|json|simple]
                                      check a snapshot file without etcd: hash, revision, keys, sha256
    $ etcdtop member replace FAILED --new-name NAME --new-peer-url URL [--new-client-url URL]
                [--no-learner] [--start-command CMD] [--yes] [--wait-timeout DURATION]
                                      remove a failed member, add its replacement (a learner, promoted
                                      once in sync), start it over SSH or wait for you; runs again to
                                      resume after an interruption; exit 0 once it is a healthy voter
    $ etcdtop member add NAME --peer-url URL [--client-url URL] [--learner] [--start-command CMD]
    $ etcdtop member remove|promote|move-leader NAME|ID [--yes]

  Connection (each also read from its ETCDCTL_* variable; a flag wins)
    --endpoints LIST                  comma-separated, default 127.0.0.1:2379
    --cacert FILE                     CA bundle to verify servers
    --cert FILE / --key FILE          client certificate and key
    --user NAME[:PASSWORD]            prefer ETCDCTL_PASSWORD or the prompt to a password in argv
    --password PASSWORD               visible to other users in the process list; prefer ETCDCTL_PASSWORD
    --insecure-skip-tls-verify        do not verify the server certificate
    --dial-timeout DURATION           default 2s
    --command-timeout DURATION        default 5s

  etcdtop
    --interval DURATION               poll period, default 1s
    --probe-timeout DURATION          deadline of one member's status call, default 1s
    --read-only                       no action that changes the cluster
    --no-discover                     watch only --endpoints, not every member of the list
    -w, --write-out FORMAT            status output: table (default), json, simple
    --members N                       demo cluster size, default 3
    --from NAME|ID                    snapshot source, default the voter with the highest applied index
    --overwrite                       let snapshot save replace an existing FILE

  member (every change is checked against quorum first; that check cannot be skipped)
    --yes                             no typed confirmation before a member is removed
    --start-command CMD               shell line run on the new member's host over SSH, with
                                      ETCD_NAME, ETCD_INITIAL_CLUSTER, … in its environment; it must
                                      return once etcd runs (systemctl start, docker run -d, … &)
    --wait-timeout DURATION           bound of each wait (start, catch-up, verify), default 5m
    --command-log FILE                append every change and remote command to FILE
    --ssh-host NAME=[user@]host[:port] where member NAME's commands run (default: its peer URL host)
    --ssh-identity FILE / --ssh-known-hosts FILE

  Exit codes (status): 0 healthy, 1 degraded, 2 alarm/no-leader/no-quorum/unreachable, 3 bad usage
`;

const cli = meow(help, {
	importMeta: import.meta,
	allowUnknownFlags: true,
	booleanDefault: undefined,
	flags,
});

const known = new Set(Object.keys(flags));

function hideArgvFromProcessList(): void {
	// On Linux the title overwrites the argv other users read in /proc/PID/cmdline, where a --password
	// or --user name:password would otherwise stay visible for the life of the console.
	process.title = 'etcdtop';
}

async function withPassword(config: Config): Promise<Config> {
	if (!config.auth || config.auth.password !== undefined) return config;
	if (!process.stdin.isTTY) {
		throw new ConfigError('--user', `no password for user "${config.auth.username}"`, 'set ETCDCTL_PASSWORD, or run in a terminal to be asked');
	}
	const password = await promptSecret(`Password for ${config.auth.username}: `);
	return Object.freeze({...config, auth: Object.freeze({username: config.auth.username, password})});
}

const io = {out: (text: string) => process.stdout.write(`${text}\n`), err: (text: string) => process.stderr.write(`${text}\n`)};

async function runSnapshot([action, file, ...extra]: readonly string[], config: () => Config): Promise<number> {
	const usage = 'use: etcdtop snapshot save FILE | etcdtop snapshot status FILE';
	if (action !== 'save' && action !== 'status') throw new ConfigError('snapshot', action ? `unknown action "${action}"` : 'an action is needed', usage);
	if (!file) throw new ConfigError(`snapshot ${action}`, 'FILE is missing', usage);
	if (extra.length > 0) throw new ConfigError(`snapshot ${action}`, `unexpected argument "${extra[0]}"`, usage);
	if (action === 'status') {
		const {snapshotStatusCommand} = await import('./commands/snapshot-status.js');
		return snapshotStatusCommand(file, cli.flags.writeOut, io);
	}
	const {snapshotSaveCommand} = await import('./commands/snapshot-save.js');
	return snapshotSaveCommand(await withPassword(config()), file, {from: cli.flags.from, isOverwriting: cli.flags.overwrite ?? false}, io);
}

async function main(): Promise<number> {
	hideArgvFromProcessList();
	// meow answers a bare --help itself; "etcdtop status --help" arrives here.
	if ((cli.flags as Record<string, unknown>)['help'] === true) cli.showHelp(0);
	const unknown = Object.keys(cli.flags).filter(flag => !known.has(flag));
	if (unknown.length > 0) {
		throw new ConfigError(flagSpelling(unknown[0]!), 'unknown flag', 'see etcdtop --help');
	}
	const [command = 'console', ...rest] = cli.input;
	const config = () => buildConfig(cli.flags);
	switch (command) {
		case 'status': {
			if (rest.length > 0) throw new ConfigError('status', `unexpected argument "${rest[0]}"`, 'status takes only flags');
			// Commands load their own modules: --help, --version and usage errors stay instant.
			const {parseStatusFormat, runStatus} = await import('./commands/status.js');
			const format = parseStatusFormat(cli.flags.writeOut);
			return runStatus(await withPassword(config()), format);
		}
		case 'console': {
			const resolved = await withPassword(config());
			const {startConsolePoller} = await import('./commands/console.js');
			const poller = startConsolePoller(resolved);
			const {runConsole} = await import('./ui/run-console.js');
			const {consoleMemberOps} = await import('./commands/member.js');
			return runConsole(resolved, poller, {memberOps: await consoleMemberOps(resolved, cli.flags)});
		}
		case 'demo': {
			const {runDemo} = await import('./commands/demo.js');
			return runDemo(cli.flags);
		}
		case 'snapshot':
			return runSnapshot(rest, config);
		case 'member': {
			const {memberCommand} = await import('./commands/member.js');
			return memberCommand(await withPassword(config()), rest, cli.flags, io);
		}
		default:
			throw new ConfigError(command, 'unknown command', 'use status, snapshot, member, demo, or no command for the console; see etcdtop --help');
	}
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
	if (error instanceof ConfigError) {
		process.stderr.write(`etcdtop: ${error.message}\n`);
		exit(exitCodes.usage);
	} else {
		process.stderr.write(`etcdtop: ${error instanceof Error ? error.message : String(error)}\n`);
		exit(exitCodes.critical);
	}
}
