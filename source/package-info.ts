import {readFileSync} from 'node:fs';

// etcdtop's name, version and description, written in by the bundler (`define` in scripts/bundle.js and
// scripts/package.js, from package.json): meow would otherwise look for package.json at every start,
// and the single-file build has none. Unbundled (the tests run dist/source) package.json is read.
declare const ETCDTOP_PACKAGE: {readonly name: string; readonly version: string; readonly description: string} | undefined;

export const packageInfo: {readonly name: string; readonly version: string; readonly description: string} =
	typeof ETCDTOP_PACKAGE === 'object' ? ETCDTOP_PACKAGE : JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** `etcdtop --version`: ours and the Node.js that runs it (the one inside the single-file build, there). */
export const versionLine = `etcdtop ${packageInfo.version} (Node.js ${process.version})`;
