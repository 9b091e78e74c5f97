import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {matchPattern, matchPatternList} from '../../source/ssh/pattern.js';
import {lookupHost, parseSshConfig, resolveSshHost} from '../../source/ssh/ssh-config.js';
import {parseTarget} from '../../source/ssh/target.js';

const home = '/home/op';
const config = `
# global options before any Host apply everywhere, but only where nothing earlier set them
ServerAliveInterval 30

Host bastion bastion-alt
    HostName bastion.example.com
    User jump
    Port 2222
    IdentityFile ~/.ssh/bastion_ed25519

Host etcd-?  !etcd-9
  HostName %h.internal.example.com
  User=etcd-admin
  IdentityFile "%d/.ssh/etcd key"

Host etcd-*
  User from-etcd-star  # etcd-1 has User from etcd-? already; etcd-9 gets this one
  Port 22022
  IdentityFile ~/.ssh/%r@%h

Match host special
  User never-applied

Host *
  User fallback
  IdentityFile ~/.ssh/id_ed25519
`;

describe('ssh_config', () => {
	const blocks = parseSshConfig(config, {readFile: () => undefined});
	const resolve = (text: string, identityFile?: string) =>
		resolveSshHost(parseTarget(text), {blocks, home, localUser: 'op', ...(identityFile === undefined ? {} : {identityFile})});

	it('matches patterns with * and ? and honours negation', () => {
		assert.ok(matchPattern('etcd-?', 'etcd-1'));
		assert.ok(!matchPattern('etcd-?', 'etcd-10'));
		assert.ok(matchPattern('*.example.com', 'a.b.example.com'));
		assert.ok(!matchPattern('*.example.com', 'example.com'));
		assert.ok(matchPattern('10.0.0.*', '10.0.0.12'));
		assert.ok(!matchPattern('10.0.0.*', '10.0.0x12'), 'a dot is literal');
		assert.ok(matchPattern('ETCD-1', 'etcd-1'), 'host names compare case-insensitively');
		assert.ok(!matchPatternList(['etcd-*', '!etcd-9'], 'etcd-9'));
		assert.ok(!matchPatternList(['!etcd-9'], 'etcd-1'), 'a negation alone matches nothing');
	});

	it('takes the first value of each option in file order, as OpenSSH does', () => {
		assert.deepEqual(resolve('bastion'), {
			alias: 'bastion',
			host: 'bastion.example.com',
			port: 2222,
			user: 'jump',
			identityFiles: ['/home/op/.ssh/bastion_ed25519', '/home/op/.ssh/id_ed25519'],
		});
		assert.equal(resolve('bastion-alt').host, 'bastion.example.com');
	});

	it('expands %h, %d, %r and ~, reads = and quoted values, and accumulates IdentityFile', () => {
		assert.deepEqual(resolve('etcd-1'), {
			alias: 'etcd-1',
			host: 'etcd-1.internal.example.com',
			port: 22022,
			user: 'etcd-admin',
			identityFiles: ['/home/op/.ssh/etcd key', '/home/op/.ssh/etcd-admin@etcd-1.internal.example.com', '/home/op/.ssh/id_ed25519'],
		});
	});

	it('skips negated hosts and Match blocks', () => {
		const nine = resolve('etcd-9');
		assert.equal(nine.host, 'etcd-9');
		assert.equal(nine.user, 'from-etcd-star');
		assert.equal(resolve('special').user, 'fallback');
	});

	it('lets [user@]host[:port] and --ssh-identity win over the config', () => {
		const explicit = resolve('root@bastion:2200', '~/keys/ops');
		assert.equal(explicit.user, 'root');
		assert.equal(explicit.port, 2200);
		assert.deepEqual(explicit.identityFiles, ['/home/op/keys/ops']);
	});

	it('falls back to the local user, port 22 and the default identities with no config', () => {
		assert.deepEqual(resolveSshHost(parseTarget('10.0.0.5'), {blocks: [], home, localUser: 'op'}), {
			alias: '10.0.0.5',
			host: '10.0.0.5',
			port: 22,
			user: 'op',
			identityFiles: ['/home/op/.ssh/id_ed25519', '/home/op/.ssh/id_ecdsa', '/home/op/.ssh/id_rsa'],
		});
	});

	it('follows Include with globs relative to ~/.ssh, in place', () => {
		const files: Record<string, string> = {
			'/home/op/.ssh/config.d/10-etcd': 'Host etcd-*\n  User from-include\n',
			'/home/op/.ssh/config.d/20-other': 'Host other\n  Port 2200\n',
			'/etc/ssh/extra': 'Port 2201\n',
		};
		const text = 'Include config.d/*\nHost x\n  Include /etc/ssh/extra\nHost *\n  User late\n';
		const included = parseSshConfig(text, {
			sshDir: '/home/op/.ssh',
			readFile: path => files[path],
			listDir: path => (path === '/home/op/.ssh/config.d' ? ['20-other', '10-etcd', 'README.md~'] : []),
		});
		assert.deepEqual(lookupHost(included, 'etcd-4').get('user'), ['from-include']);
		assert.deepEqual(lookupHost(included, 'other').get('port'), ['2200']);
		assert.deepEqual(lookupHost(included, 'x').get('port'), ['2201']);
		assert.equal(lookupHost(included, 'y').get('port'), undefined, 'an Include inside Host x applies only to x');
		assert.deepEqual(lookupHost(included, 'y').get('user'), ['late']);
	});

	it('rejects a bad Port in the config with a clear error', () => {
		const bad = parseSshConfig('Host b\n  Port twenty\n');
		assert.throws(() => resolveSshHost(parseTarget('b'), {blocks: bad, home, localUser: 'op'}), /invalid port "twenty"/);
	});
});
