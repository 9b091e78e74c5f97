import assert from 'node:assert/strict';

const ansi = /\u001B\[[0-9;?]*[A-Za-z]/g;

export const strip = (text: string | undefined): string => (text ?? '').replace(ansi, '');

/** Waits for a rendered frame (ANSI stripped) with `text`, rather than sleeping a fixed time. */
export async function frameWith(lastFrame: () => string | undefined, text: string | RegExp, timeoutMs = 5000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const frame = strip(lastFrame());
		if (typeof text === 'string' ? frame.includes(text) : text.test(frame)) return frame;
		if (Date.now() > deadline) assert.fail(`no frame with ${String(text)}; last frame:\n${frame}`);
		await new Promise(resolve => setTimeout(resolve, 10));
	}
}

/** Waits until `isDone()` holds (a callback was called, a store changed), not a fixed time. */
export async function waitUntil(what: string, isDone: () => boolean, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!isDone()) {
		if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 5));
	}
}
