import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttributeSets } from '../src/instrumentation/toolkit/attribute-sets.js';

describe('interned attribute sets', () => {
  const KEYS = ['http.request.method', 'url.scheme', 'http.route', 'http.response.status_code', 'error.type', 'network.protocol.version'];

  it('gives the same frozen object for the same values, a different one when any value differs', () => {
    const sets = new AttributeSets(KEYS);
    const ok = sets.get('GET', 'http', '/items/:id', 200, undefined, '1.1');
    assert.ok(Object.isFrozen(ok));
    assert.deepEqual(ok, {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
    assert.equal(sets.get('GET', 'http', '/items/:id', 200, undefined, '1.1'), ok, 'the last set, again');
    // Each position in turn differs from the last request's: never the previous set.
    const variants = [
      sets.get('POST', 'http', '/items/:id', 200, undefined, '1.1'),
      sets.get('GET', 'https', '/items/:id', 200, undefined, '1.1'),
      sets.get('GET', 'http', '/orders', 200, undefined, '1.1'),
      sets.get('GET', 'http', '/items/:id', 500, '500', '1.1'),
      sets.get('GET', 'http', '/items/:id', 200, 'aborted', '1.1'),
      sets.get('GET', 'http', '/items/:id', 200, undefined, '2'),
      sets.get('GET', 'http', undefined, 200, undefined, '1.1'),
    ];
    assert.equal(new Set([ok, ...variants]).size, 8);
    assert.equal(variants[6]!['http.route'], undefined);
    assert.ok(!('http.route' in variants[6]!), 'an undefined value leaves its key out');
    // Alternating between two requests' values gives each its own set every time.
    for (let i = 0; i < 4; i++) {
      assert.equal(sets.get('GET', 'http', '/items/:id', 200, undefined, '1.1'), ok);
      assert.equal(sets.get('POST', 'http', '/items/:id', 200, undefined, '1.1'), variants[0]);
    }
  });

  it('past its limit builds a fresh object per call, and never hands out one built for other values', () => {
    const sets = new AttributeSets(['route'], 2);
    const a = sets.get('/a');
    const b = sets.get('/b');
    const c1 = sets.get('/c');
    const c2 = sets.get('/c');
    assert.ok(Object.isFrozen(a) && Object.isFrozen(b));
    assert.ok(!Object.isFrozen(c1), 'over the limit: not interned');
    assert.notEqual(c1, c2);
    assert.deepEqual(c2, { route: '/c' });
    assert.equal(sets.get('/a'), a);
    assert.deepEqual(sets.get('/d'), { route: '/d' });
  });
});
