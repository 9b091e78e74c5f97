// S3 failures in an operator's words. Imports nothing of the project: s3/ is data access, like etcd/.

export type S3FailureKind =
	| 'no-bucket'
	| 'no-object'
	| 'access-denied'
	| 'no-credentials'
	| 'no-region'
	| 'wrong-region'
	| 'clock-skew'
	| 'unreachable'
	| 'connection-cut'
	| 'timeout'
	| 'server-error'
	| 'exists'
	/** An object read whole (a manifest) is larger than it may be. */
	| 'too-large'
	| 'other';

/** An S3 call that failed, with a message that names the bucket or key and the likely fix. */
export class S3Error extends Error {
	override readonly name = 'S3Error';
	constructor(
		readonly kind: S3FailureKind,
		message: string,
		options?: {cause?: unknown},
	) {
		super(message, options);
	}
}

/**
 * A server's error message on one line, bounded. Control bytes are left to the one sanitizer every printed
 * line passes (output/terminal.ts, model/visible-text.ts).
 */
export function printable(text: string, max = 300): string {
	const clean = text.replace(/[\r\n\t]+/g, ' ').trim();
	return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

interface SdkErrorShape {
	readonly name?: string;
	readonly code?: string;
	readonly message?: string;
	readonly Code?: string;
	readonly $metadata?: {readonly httpStatusCode?: number};
	readonly cause?: unknown;
}

function codesOf(error: unknown): string[] {
	const codes: string[] = [];
	for (let current = error as SdkErrorShape | undefined, depth = 0; current && depth < 5; current = current.cause as SdkErrorShape | undefined, depth++) {
		for (const code of [current.name, current.code, current.Code]) if (typeof code === 'string') codes.push(code);
		const errors = (current as {errors?: unknown[]}).errors;
		if (Array.isArray(errors)) for (const inner of errors) codes.push(...codesOf(inner));
	}
	return codes;
}

/** What was being done, for the message: "upload to s3://b/k", and where the endpoint is. */
export interface S3Context {
	readonly action: string;
	readonly bucket: string;
	readonly key?: string;
	readonly endpoint: string;
}

/**
 * Any SDK or socket error -> S3Error. The SDK's own messages are often empty ("UnknownError") or name only a
 * code, so the words come from the code and the HTTP status, with the server's message added when it has one.
 */
export function toS3Error(error: unknown, context: S3Context): S3Error {
	if (error instanceof S3Error) return error;
	const codes = codesOf(error);
	const has = (...names: string[]) => names.some(name => codes.includes(name));
	const status = (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
	const where = `s3://${context.bucket}/${context.key ?? ''}`;
	const serverMessage = printable(String((error as SdkErrorShape | undefined)?.message ?? ''));
	const detail = serverMessage && !/^(UnknownError|null|undefined)$/.test(serverMessage) ? `: ${serverMessage}` : '';
	const make = (kind: S3FailureKind, message: string) => new S3Error(kind, `${context.action} ${where}: ${message}`, {cause: error});
	if (has('NoSuchBucket')) return make('no-bucket', `the bucket "${context.bucket}" does not exist at ${context.endpoint} (create it, or check the bucket name and --s3-endpoint)`);
	if (has('NoSuchKey') || (status === 404 && has('NotFound'))) return make('no-object', 'no such object');
	if (has('RequestTimeTooSkewed')) {
		return make('clock-skew', `this machine's clock differs from the server's by more than S3 allows (15 minutes); set the time (chrony, systemd-timesyncd) and retry${detail}`);
	}
	if (has('InvalidAccessKeyId')) return make('access-denied', 'access denied: the access key ID is not known to the server (check AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws/credentials)');
	if (has('SignatureDoesNotMatch')) return make('access-denied', 'access denied: the request signature does not match (a wrong AWS_SECRET_ACCESS_KEY?)');
	if (has('AccessDenied', 'AllAccessDisabled', 'Forbidden', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired') || status === 403) {
		return make('access-denied', `access denied: the credentials in use may not do this here (check the bucket policy and the IAM permissions: s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject, s3:AbortMultipartUpload)${detail}`);
	}
	if (has('CredentialsProviderError') || /Could not load credentials/i.test(serverMessage)) {
		return make('no-credentials', 'no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or write ~/.aws/credentials)');
	}
	if (has('PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException') || status === 301) {
		return make('wrong-region', `the bucket is in another region than the one in use (set AWS_REGION to the bucket's region)${detail}`);
	}
	if (has('ECONNREFUSED')) return make('unreachable', `cannot connect to ${context.endpoint}: connection refused (is the endpoint right? --s3-endpoint or AWS_ENDPOINT_URL_S3)`);
	if (has('ENOTFOUND', 'EAI_AGAIN')) return make('unreachable', `cannot resolve the host of ${context.endpoint} (is the endpoint right? --s3-endpoint or AWS_ENDPOINT_URL_S3)`);
	if (has('EHOSTUNREACH', 'ENETUNREACH')) return make('unreachable', `no route to ${context.endpoint}`);
	if (has('ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE') || /socket hang up|aborted/i.test(serverMessage)) {
		return make('connection-cut', `the connection to ${context.endpoint} was cut during the transfer`);
	}
	if (has('TimeoutError', 'ETIMEDOUT', 'RequestTimeout')) return make('timeout', `${context.endpoint} did not answer in time`);
	if (status !== undefined && status >= 500) return make('server-error', `the server answered HTTP ${status}${detail || (codes[0] ? `: ${printable(codes[0])}` : '')}`);
	if (status === 404) return make('no-object', 'not found');
	return make('other', `${printable(codes[0] ?? 'error')}${detail}`);
}
