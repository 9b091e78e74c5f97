import './process-setup.js';
import meow from 'meow';
import {flags, flagSpelling} from './cli-flags.js';
import {buildConfig, type Config} from './config/config.js';
import {ConfigError} from './config/errors.js';
import {promptSecret} from './config/secret-prompt.js';
import {exitCodes} from './output/exit-code.js';
import {terminalIo, writeErr} from './output/terminal.js';
import type {Via} from './commands/via.js';

const help = `
  Usage
    $ etcdtop [flags]                 the live console (default)
    $ etcdtop status [-w table|json|simple]
                                      one round of health checks, for scripts
    $ etcdtop demo [--members N]      a throwaway local cluster with the console on it
    $ etcdtop snapshot save [FILE] [--from NAME|ID] [--overwrite] [--keep N] [--encrypt-to age1…]
                                      stream a verified snapshot to FILE (+ FILE.meta.json); without FILE a
                                      timestamped name in --snapshot-dir; a bare name (no /) goes into
                                      --snapshot-dir only when that flag is given, else the working directory
    $ etcdtop snapshot status FILE [-w table|json|simple] [--identity KEYFILE]
                                      check a snapshot file without etcd: hash, revision, keys, sha256
                                      (FILE.age: decrypted in memory with --identity or the passphrase)
    $ etcdtop snapshot restore-plan FILE --data-dir DIR [-w json] [--tool etcdctl|etcdutl]
                                      print the restore commands for every member (runs nothing);
                                      {name} in DIR becomes each member's name
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

  SSH (reach etcd through a bastion; TLS to etcd stays end to end)
    --via [user@]host[:port]          carry every etcd connection (status, members, snapshots, member changes)
                                      through this SSH host; a Host alias from ~/.ssh/config works
    --ssh-identity FILE               private key to use (an encrypted one asks for its passphrase)
    --ssh-known-hosts FILE            default ~/.ssh/known_hosts
    --ssh-accept-new                  record an unknown host key on first use (a changed key is always refused)
    --ssh-host NAME=[user@]host[:port]
                                      where member NAME runs, for remote commands (repeatable; reached
                                      through the --via host when there is one)
    An unknown, changed or revoked host key, a refused key or a bad passphrase stops etcdtop before it
    starts, exit 3. A dropped SSH connection shows members as "tunnel down" while it reconnects.

  etcdtop
    --interval DURATION               poll period, default 1s
    --probe-timeout DURATION          deadline of one member's status call, default 1s
    --read-only                       no action that changes the cluster
    --no-discover                     watch only --endpoints, not every member of the list
    -w, --write-out FORMAT            status output: table (default), json, simple
    --members N                       demo cluster size, default 3
    --from NAME|ID                    snapshot source, default the voter with the highest applied index
    --overwrite                       let snapshot save replace an existing FILE

  Snapshots (console pane 2 and snapshot save)
    --snapshot-dir DIR                default $XDG_DATA_HOME/etcdtop/snapshots (~/.local/share/…)
    --keep N                          after each successful save keep the newest N snapshots etcdtop wrote
                                      in that directory (files with a .meta.json); never the only verified one
    --snapshot-every DURATION         console: save into --snapshot-dir on this schedule (e.g. 6h)
    --encrypt-to RECIPIENT            age X25519 public key (age1…), repeatable: writes FILE.age
    --encrypt-passphrase              age passphrase from ETCDTOP_SNAPSHOT_PASSPHRASE or a no-echo prompt
    --identity FILE                   age identity file to read FILE.age (status, verify), repeatable
    --data-dir DIR / --tool NAME      restore-plan: the new data dir; etcdctl or etcdutl (default by version)

  member (every change is checked against quorum first; that check cannot be skipped)
    --yes                             no typed confirmation before a member is removed
    --start-command CMD               shell line run on the new member's host over SSH, with
                                      ETCD_NAME, ETCD_INITIAL_CLUSTER, … in its environment; it must
                                      return once etcd runs (systemctl start, docker run -d, … &)
    --wait-timeout DURATION           bound of each wait (start, catch-up, verify), default 5m
    --command-log FILE                append every change and remote command to FILE

  Exit codes (status): 0 healthy, 1 degraded, 2 alarm/no-leader/no-quorum/unreachable (also: the
  --via host is unreachable, "tunnel down"), 3 bad usage or an SSH host key/authentication problem
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

const io = terminalIo;

/** Runs `body` with the --via SSH connection up (or retrying), and closes it after. */
async function withVia<T>(config: Config, body: (via: Via | undefined) => Promise<T>): Promise<T> {
	// ssh2 loads only when --via asks for it.
	if (!config.ssh?.via) return body(undefined);
	const {openVia} = await import('./commands/via.js');
	const via = await openVia(config, {warn: io.err});
	try {
		return await body(via);
	} finally {
		await via?.close();
	}
}

/** Snapshot flags, loaded only by the commands that use them: the age and bbolt code stays out of `status`. */
async function loadSnapshotOptions() {
	const {parseSnapshotOptions, recipientsOf} = await import('./config/snapshot-options.js');
	return {options: parseSnapshotOptions(cli.flags), recipientsOf};
}

async function runSnapshot([action, file, ...extra]: readonly string[], config: () => Config): Promise<number> {
	const usage = 'use: etcdtop snapshot save [FILE] | status FILE | restore-plan FILE --data-dir DIR';
	if (action !== 'save' && action !== 'status' && action !== 'restore-plan') throw new ConfigError('snapshot', action ? `unknown action "${action}"` : 'an action is needed', usage);
	if (!file && action !== 'save') throw new ConfigError(`snapshot ${action}`, 'FILE is missing', usage);
	if (extra.length > 0) throw new ConfigError(`snapshot ${action}`, `unexpected argument "${extra[0]}"`, usage);
	const {options, recipientsOf} = await loadSnapshotOptions();
	const {decryptKeys, readPassphrase} = await import('./commands/snapshot-secrets.js');
	if (action === 'status') {
		const {snapshotStatusCommand} = await import('./commands/snapshot-status.js');
		return snapshotStatusCommand(file!, cli.flags.writeOut, io, await decryptKeys(file!, options));
	}
	if (action === 'restore-plan') {
		const {snapshotRestorePlanCommand} = await import('./commands/snapshot-restore-plan.js');
		return snapshotRestorePlanCommand(config, file!, {dataDir: cli.flags.dataDir, format: cli.flags.writeOut, tool: cli.flags.tool}, io);
	}
	if (options.everyMs !== undefined) throw new ConfigError('--snapshot-every', 'is for the console, which saves on that schedule while it runs', 'use cron or a systemd timer to run etcdtop snapshot save --keep N');
	const {snapshotSaveCommand, resolveSaveTarget} = await import('./commands/snapshot-save.js');
	const resolved = await withPassword(config());
	const recipients = recipientsOf(options, options.isPassphraseEncrypting ? await readPassphrase(true) : undefined);
	const target = resolveSaveTarget(file, options, recipients.length > 0, new Date());
	return withVia(resolved, async via =>
		snapshotSaveCommand(resolved, target.path, {
			from: cli.flags.from,
			isOverwriting: cli.flags.overwrite ?? false,
			recipients,
			...(options.keep !== undefined ? {keep: options.keep} : {}),
			isCreatingDirectory: target.isInSnapshotDir,
			...(via ? {routeFor: via.routeFor} : {}),
		}, io),
	);
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
			const resolved = await withPassword(config());
			return withVia(resolved, async via => runStatus(resolved, format, undefined, via ? {createSource: via.createSource} : {}));
		}
		case 'console': {
			const resolved = await withPassword(config());
			const {options, recipientsOf} = await loadSnapshotOptions();
			const passphrase = await (await import('./commands/snapshot-secrets.js')).consolePassphrase(options);
			const snapshots = {
				directory: options.snapshotDir,
				keep: options.keep,
				everyMs: options.everyMs,
				recipients: recipientsOf(options, passphrase),
				decryptKeys: {identityFiles: options.identityFiles, passphrase},
			};
			// SSH is up (or retrying) before the console takes the screen: a host key prompt or refusal stays readable.
			return withVia(resolved, async via => {
				const {startConsolePoller} = await import('./commands/console.js');
				const poller = startConsolePoller(resolved, via ? {createSource: via.createSource} : {});
				const {runConsole} = await import('./ui/run-console.js');
				const {consoleMemberOps} = await import('./commands/member.js');
				const {CommandLog} = await import('./ui/command-log.js');
				const commandLog = new CommandLog();
				if (via) (await import('./commands/via.js')).logPermanentFailure(via, commandLog);
				const memberOps = await consoleMemberOps(resolved, cli.flags, via, commandLog);
				return runConsole(resolved, poller, {snapshots: via ? {...snapshots, routeFor: via.routeFor} : snapshots, memberOps, commandLog});
			});
		}
		case 'demo': {
			if (cli.flags.via !== undefined) throw new ConfigError('--via', 'demo runs its own cluster on this machine', 'drop --via, or run etcdtop without "demo"');
			const {runDemo} = await import('./commands/demo.js');
			return runDemo(cli.flags);
		}
		case 'snapshot':
			return runSnapshot(rest, config);
		case 'member': {
			const {checkMemberCommand, memberCommand} = await import('./commands/member.js');
			const resolved = await withPassword(config());
			// A usage error is exit 3 at once, without an SSH connection first.
			checkMemberCommand(resolved, rest, cli.flags);
			return withVia(resolved, async via => memberCommand(resolved, rest, cli.flags, io, via));
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
		writeErr(`etcdtop: ${error.message}\n`);
		exit(exitCodes.usage);
	} else {
		writeErr(`etcdtop: ${error instanceof Error ? error.message : String(error)}\n`);
		exit(exitCodes.critical);
	}
}
