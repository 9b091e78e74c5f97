import {ConfigError} from './errors.js';

/** The S3 flags as meow hands them over. */
export interface S3Flags {
	readonly s3Endpoint?: string;
	readonly s3PathStyle?: boolean;
}

/** Same shape as s3/client.ts's S3Settings (config imports nothing above it). */
export interface S3SettingsInput {
	readonly endpoint: string | undefined;
	readonly isPathStyle: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function checkEndpoint(text: string, input: string): string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new ConfigError(input, `"${text}" is not a URL`, 'e.g. http://127.0.0.1:9000 or https://s3.example.com');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(input, `${url.protocol} is not http: or https:`, 'e.g. http://127.0.0.1:9000');
	// Never a secret in argv: the access key belongs in AWS_ACCESS_KEY_ID or ~/.aws/credentials.
	if (url.username || url.password) throw new ConfigError(input, 'the URL carries credentials', 'put them in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials, not in the URL');
	if (url.search || url.hash) throw new ConfigError(input, 'the URL has a query or fragment', 'give only scheme, host and port');
	return url.toString().replace(/\/$/, '');
}

/**
 * Endpoint and addressing, as the AWS CLI takes them: --s3-endpoint, else AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL; without one, AWS's own endpoints (the SDK picks them from the region). Region and
 * credentials are the SDK's default chain: AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
 * AWS_SESSION_TOKEN, AWS_PROFILE, ~/.aws/config and ~/.aws/credentials. Path-style addressing is on with a
 * custom endpoint (MinIO, Ceph, s3rver want it) unless --no-s3-path-style.
 */
export function parseS3Settings(flags: S3Flags, env: Env = process.env): S3SettingsInput {
	let endpoint: string | undefined;
	if (flags.s3Endpoint !== undefined) endpoint = checkEndpoint(flags.s3Endpoint, '--s3-endpoint');
	else if (env['AWS_ENDPOINT_URL_S3']) endpoint = checkEndpoint(env['AWS_ENDPOINT_URL_S3'], 'AWS_ENDPOINT_URL_S3');
	else if (env['AWS_ENDPOINT_URL']) endpoint = checkEndpoint(env['AWS_ENDPOINT_URL'], 'AWS_ENDPOINT_URL');
	return Object.freeze({endpoint, isPathStyle: flags.s3PathStyle ?? endpoint !== undefined});
}
