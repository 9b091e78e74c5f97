import assert from 'node:assert/strict';
import {ConfigError} from '../../source/config/errors.js';

/** Runs `run` and returns the ConfigError it throws; anything else fails the test. */
export function configError(run: () => unknown): ConfigError {
	try {
		run();
	} catch (error) {
		assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
		return error;
	}
	assert.fail('expected a ConfigError');
}
