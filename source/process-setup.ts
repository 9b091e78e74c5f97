// Process-wide settings, imported first by the CLI so they hold before any other module loads.

// React's development build checks and records every render, at several times the CPU; the console
// is a production program unless someone asks otherwise.
process.env['NODE_ENV'] ??= 'production';

// Node warns (DEP0123) when TLS is aimed at an IP address, which grpc does for every IP endpoint; the
// warning would land in the middle of the console's screen and says nothing an operator can act on.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
	const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as {code?: string}).code : rest[1];
	if (code === 'DEP0123') return;
	(emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// Ink draws only a final frame when CI or CONTINUOUS_INTEGRATION is set, and build hosts often export
// them in every shell. On a real terminal the console is interactive whatever the environment says.
if (process.stdout.isTTY) {
	for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) {
		if (key in process.env) process.env[key] = 'false';
	}
}

export {};
