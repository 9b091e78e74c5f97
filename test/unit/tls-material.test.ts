import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {buildConfig} from '../../source/config/config.js';
import {configError} from '../helpers/config-error.js';

// Throwaway keys made here by openssl, never committed.
const dir = mkdtempSync(join(tmpdir(), 'etcdtop-tls-material-'));
after(() => rmSync(dir, {recursive: true, force: true}));
const openssl = (args: readonly string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'});
openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'client.key', '-out', 'client.crt', '-days', '2', '-subj', '/CN=client']);
openssl(['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key']);
openssl(['pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret', '-out', 'encrypted.key']);
writeFileSync(join(dir, 'garbage.pem'), 'hello, I am not a certificate\n');
writeFileSync(join(dir, 'empty.pem'), '');
const ca = join(process.cwd(), 'test/fixtures/tls/ca.crt');
const file = (name: string) => join(dir, name);
const build = (flags: {cacert?: string; cert?: string; key?: string}) => () => buildConfig({endpoints: 'https://127.0.0.1:2379', ...flags}, {}, path => readFileSync(path));

test('good material passes: a CA bundle, and a client certificate with its own key', () => {
	const config = build({cacert: ca, cert: file('client.crt'), key: file('client.key')})();
	assert.ok(config.tls?.cert && config.tls.key && config.tls.ca);
});

test('garbage, empty, wrong-type, mismatched and encrypted files are exit 3 naming the flag and the problem', () => {
	const cases: Array<[() => unknown, string, RegExp]> = [
		[build({cacert: file('garbage.pem')}), '--cacert', /is not a PEM certificate: it is not a PEM file/],
		[build({cacert: file('empty.pem')}), '--cacert', /is empty/],
		[build({cacert: file('client.key')}), '--cacert', /holds private key/],
		[build({cert: file('client.key'), key: file('client.key')}), '--cert', /is not a PEM certificate: it holds private key/],
		[build({cert: file('client.crt'), key: file('client.crt')}), '--key', /is not a PEM private key: it holds certificate/],
		[build({cert: file('client.crt'), key: file('garbage.pem')}), '--key', /is not a PEM private key/],
		[build({cert: file('client.crt'), key: file('other.key')}), '--cert and --key', /do not match/],
		[build({cert: file('client.crt'), key: file('encrypted.key')}), '--key', /is an encrypted private key/],
	];
	for (const [run, input, problem] of cases) {
		const error = configError(run);
		assert.equal(error.input, input, error.message);
		assert.match(error.message, problem);
		assert.doesNotMatch(error.message, /PEM routines|no start line/);
	}
});

test('a FIFO, a directory or a device as --cacert/--cert/--key is exit 3 at once, never a read that waits for a writer', () => {
	execFileSync('mkfifo', [file('fifo.pem')]);
	const cases: Array<[Record<string, string>, string, RegExp]> = [
		[{cacert: file('fifo.pem')}, '--cacert', /fifo\.pem is not a regular file \(a FIFO, socket or device\)/],
		[{cert: file('client.crt'), key: file('fifo.pem')}, '--key', /is not a regular file/],
		[{cacert: dir}, '--cacert', /is a directory/],
		[{cacert: '/dev/zero'}, '--cacert', /is not a regular file/],
	];
	for (const [flags, input, problem] of cases) {
		const error = configError(() => buildConfig({endpoints: 'https://127.0.0.1:2379', ...flags}, {}));
		assert.equal(error.input, input, error.message);
		assert.match(error.message, problem);
	}
});
