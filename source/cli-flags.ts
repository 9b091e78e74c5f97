/** Every flag etcdtop takes, in meow's form; the readme test checks each is documented. */
export const flags = {
	endpoints: {type: 'string'},
	cacert: {type: 'string'},
	cert: {type: 'string'},
	key: {type: 'string'},
	user: {type: 'string'},
	password: {type: 'string'},
	insecureSkipTlsVerify: {type: 'boolean'},
	dialTimeout: {type: 'string'},
	commandTimeout: {type: 'string'},
	interval: {type: 'string'},
	probeTimeout: {type: 'string'},
	readOnly: {type: 'boolean'},
	discover: {type: 'boolean'},
	writeOut: {type: 'string', shortFlag: 'w'},
	members: {type: 'string'},
	from: {type: 'string'},
	overwrite: {type: 'boolean'},
	via: {type: 'string'},
	sshIdentity: {type: 'string'},
	sshKnownHosts: {type: 'string'},
	sshAcceptNew: {type: 'boolean'},
	sshHost: {type: 'string', isMultiple: true},
	snapshotDir: {type: 'string'},
	keep: {type: 'string'},
	snapshotEvery: {type: 'string'},
	encryptTo: {type: 'string', isMultiple: true},
	encryptPassphrase: {type: 'boolean'},
	identity: {type: 'string', isMultiple: true},
	dataDir: {type: 'string'},
	tool: {type: 'string'},
	// member …
	newName: {type: 'string'},
	newPeerUrl: {type: 'string'},
	newClientUrl: {type: 'string'},
	peerUrl: {type: 'string'},
	clientUrl: {type: 'string'},
	learner: {type: 'boolean'},
	startCommand: {type: 'string'},
	yes: {type: 'boolean'},
	waitTimeout: {type: 'string'},
	commandLog: {type: 'string'},
} as const;

/** "insecureSkipTlsVerify" -> "--insecure-skip-tls-verify"; booleans that default on read as --no-X. */
export function flagSpelling(name: string): string {
	const kebab = name.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);
	return name === 'discover' ? `--no-${kebab}` : `--${kebab}`;
}
