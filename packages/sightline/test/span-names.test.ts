import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinedSpanName } from '../src/instrumentation/toolkit/span-names.js';

describe('joined span names', () => {
  // That a name is kept and flat is not observable from JavaScript (strings compare by value); the
  // instruction counts in bench/README.md show it. These check the text, inside and past the bounds.
  it('joins the parts with a space', () => {
    const route = ['/items', ':id'].join('/'); // built at run time, as a framework's route is
    const first = joinedSpanName('GET', route);
    assert.equal(first, 'GET /items/:id');
    assert.equal(joinedSpanName('GET', '/items/:id'), first);
    assert.equal(joinedSpanName('POST', route), 'POST /items/:id');
    assert.equal(joinedSpanName('GET', ''), 'GET ');
  });

  it('still names spans once its bounds are full, joining per call', () => {
    for (let i = 0; i < 1100; i++) assert.equal(joinedSpanName('PATCH', `/r/${i}`), `PATCH /r/${i}`);
    for (let i = 0; i < 70; i++) assert.equal(joinedSpanName(`M${i}`, '/x'), `M${i} /x`);
  });
});
