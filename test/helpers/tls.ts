import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export interface TestPki {
	readonly dir: string;
	readonly caFile: string;
	readonly serverCertFile: string;
	readonly serverKeyFile: string;
	readonly clientCertFile: string;
	readonly clientKeyFile: string;
	/** A CA that signed nothing here: verifying the server with it must fail. */
	readonly otherCaFile: string;
	remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
	execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'});
}

function makeCa(dir: string, name: string): void {
	openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string): void {
	writeFileSync(join(dir, `${name}.ext`), extensions);
	openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
	openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

/**
 * The one PKI builder of the tests: a throwaway CA with a server certificate for 127.0.0.1 and localhost (and
 * `dnsNames`, for a member reached by a name), usable as a client certificate too, and a client
 * certificate, made by openssl; `otherCaFile` signed nothing.
 */
export function makeTestPki({dnsNames = []}: {readonly dnsNames?: readonly string[]} = {}): TestPki {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-pki-'));
	makeCa(dir, 'ca');
	makeCa(dir, 'other-ca');
	makeLeaf(dir, 'server', 'ca', `subjectAltName=IP:127.0.0.1,DNS:localhost${dnsNames.map(name => `,DNS:${name}`).join('')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
	makeLeaf(dir, 'root', 'ca', 'extendedKeyUsage=clientAuth\n');
	return {
		dir,
		caFile: join(dir, 'ca.crt'),
		serverCertFile: join(dir, 'server.crt'),
		serverKeyFile: join(dir, 'server.key'),
		clientCertFile: join(dir, 'root.crt'),
		clientKeyFile: join(dir, 'root.key'),
		otherCaFile: join(dir, 'other-ca.crt'),
		remove: () => rmSync(dir, {recursive: true, force: true}),
	};
}
