import assert from 'node:assert/strict';
import {test} from 'node:test';
import {TextCache} from '../../source/ui/text-cache.js';

test('the text cache answers what it was given and never holds more than its limit', () => {
	const cache = new TextCache<number>(3);
	cache.set('a', 1).set('b', 2).set('c', 3);
	assert.equal(cache.get('b'), 2);
	assert.equal(cache.size, 3);
	cache.set('b', 20);
	assert.equal(cache.size, 3, 'replacing a key does not start over');
	assert.equal(cache.get('b'), 20);
	cache.set('d', 4);
	assert.equal(cache.size, 1, 'a new key in a full cache starts over');
	assert.equal(cache.get('d'), 4);
	assert.equal(cache.get('a'), undefined);
	for (let index = 0; index < 10_000; index++) cache.set(`frame ${index}`, index);
	assert.ok(cache.size <= 3);
});
