// etcdtop's name, version and description, written in by the bundler (`define` in scripts/bundle.js and
// scripts/package.js, from package.json): meow would otherwise look for package.json at every start,
// and the single-file build has none.
declare const ETCDTOP_PACKAGE: {readonly name: string; readonly version: string; readonly description: string};

export const packageInfo = ETCDTOP_PACKAGE;

/** `etcdtop --version`: ours and the Node.js that runs it (the one inside the single-file build, there). */
export const versionLine = `etcdtop ${packageInfo.version} (Node.js ${process.version})`;
