import type {EventEmitter} from 'node:events';
import {useStdin} from 'ink';
import {useLayoutEffect, type ReactNode} from 'react';
import {strip, waitUntil} from './frames.js';

/**
 * A ready handshake for keys in component tests. Ink hands each key to the `useInput` handlers that are
 * subscribed when it arrives, and a component subscribes in an effect that runs after its first frame
 * is drawn: a key written as soon as a modal's frame shows can reach nobody. The watch records, for each
 * subscription, how many frames had been drawn; `readyAfter(text)` waits until some component subscribed
 * after the first frame showing `text`, that is, until the component that drew it listens.
 */
export class InputWatch {
	private readonly subscribedAfter: number[] = [];
	private frames: readonly string[] = [];

	/** The rendered view's frames, as ink-testing-library records them. */
	setFrames(frames: readonly string[]): void {
		this.frames = frames;
	}

	attach(emitter: EventEmitter): void {
		emitter.on('newListener', (event: string) => {
			if (event === 'input') this.subscribedAfter.push(this.frames.length);
		});
	}

	/** Resolves once a frame shows `text` (from frame `fromFrame` on: a view opened again) and a key handler subscribed after that frame was drawn. */
	async readyAfter(text: string | RegExp, timeoutMs = 5000, fromFrame = 0): Promise<void> {
		const matches = (frame: string, index: number) => index >= fromFrame && (typeof text === 'string' ? strip(frame).includes(text) : text.test(strip(frame)));
		await waitUntil(
			`a key handler listening after a frame with ${String(text)}`,
			() => {
				const first = this.frames.findIndex(matches);
				return first !== -1 && this.subscribedAfter.some(count => count > first);
			},
			timeoutMs,
		);
	}
}

/** Wraps the tree under test so the watch sees Ink's input subscriptions. */
export function InputProbe({watch, children}: {readonly watch: InputWatch; readonly children: ReactNode}) {
	const {internal_eventEmitter: emitter} = useStdin() as unknown as {internal_eventEmitter: EventEmitter};
	useLayoutEffect(() => watch.attach(emitter), [emitter, watch]);
	return <>{children}</>;
}
