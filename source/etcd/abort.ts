/**
 * Settles as `promise` does, or rejects with the signal's reason as soon as it aborts, whichever comes first:
 * a call that ignores the signal cannot keep its caller waiting.
 */
export async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	// Once the abort wins, the promise's own rejection (often the same cancellation) has no reader.
	promise.catch(() => undefined);
	signal.throwIfAborted();
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, {once: true});
	});
	try {
		return await Promise.race([promise, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort!);
	}
}
