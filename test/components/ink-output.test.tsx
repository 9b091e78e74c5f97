import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Box, Text} from 'ink';
import {render} from 'ink-testing-library';
import {strip} from '../helpers/frames.js';

// Ink's Output keeps each line's styled characters from frame to frame (patches/ink+6.8.0.patch): a
// line that did not change is not tokenized again. Every frame must still be exactly what was drawn.

function Rows({frame}: {readonly frame: number}) {
	return (
		<Box flexDirection="column">
			<Text bold>etcdtop HEALTHY every 1s</Text>
			{[0, 1, 2, 3].map(row => (
				<Text key={row} color={(frame + row) % 2 === 0 ? 'green' : 'red'}>
					{`etcd-${row} ok ${row === frame % 4 ? `${frame * 7} ms` : 'same'}`}
				</Text>
			))}
			<Text dimColor>{`frame ${frame}`}</Text>
		</Box>
	);
}

function expected(frame: number): string {
	const rows = [0, 1, 2, 3].map(row => `etcd-${row} ok ${row === frame % 4 ? `${frame * 7} ms` : 'same'}`);
	return ['etcdtop HEALTHY every 1s', ...rows, `frame ${frame}`].join('\n');
}

test('frames drawn through the patched Ink output are each exactly what was rendered', () => {
	const {lastFrame, rerender, unmount} = render(<Rows frame={0} />);
	try {
		// Twelve frames: most lines repeat from the frame before, one changes, and a text comes back
		// in a frame after it was replaced.
		for (let frame = 0; frame < 12; frame++) {
			rerender(<Rows frame={frame} />);
			assert.equal(strip(lastFrame()), expected(frame), `frame ${frame}`);
		}
		rerender(<Rows frame={4} />);
		assert.equal(strip(lastFrame()), expected(4), 'an earlier frame drawn again');
	} finally {
		unmount();
	}
	// A second Ink instance shares the caches and still draws its own text.
	const other = render(<Text>{expected(3)}</Text>);
	assert.equal(strip(other.lastFrame()), expected(3));
	other.unmount();
});
