import { describe, expect, it } from 'vitest';
import { diffJson, flattenJson } from './json-diff.js';

describe('flattenJson', () => {
  it('lists every leaf with its path, keeping empty containers and odd keys apart', () => {
    expect([...flattenJson({ b: [1, { c: null }], a: {}, 'x y': [] })]).toEqual([
      ['$.a', '{}'],
      ['$.b[0]', '1'],
      ['$.b[1].c', 'null'],
      ['$["x y"]', '[]'],
    ]);
  });

  it('treats a scalar as one leaf at the root', () => {
    expect([...flattenJson('text')]).toEqual([['$', '"text"']]);
  });
});

describe('diffJson', () => {
  it('flags exactly the paths where the columns disagree, with absent values as undefined', () => {
    const rows = diffJson([
      { title: 'Q3 plan', qty: 2, tags: ['a'] },
      { title: 'Q3 plan (v2)', qty: 2 },
      { title: 'Q3 plan (v2)', qty: 2 },
    ]);
    expect(rows).toEqual([
      { path: '$.qty', values: ['2', '2', '2'], differs: false },
      { path: '$.tags[0]', values: ['"a"', undefined, undefined], differs: true },
      { path: '$.title', values: ['"Q3 plan"', '"Q3 plan (v2)"', '"Q3 plan (v2)"'], differs: true },
    ]);
  });

  it('orders array indexes numerically', () => {
    const list = Array.from({ length: 11 }, (_, index) => index);
    expect(diffJson([list]).map((row) => row.path).slice(9)).toEqual(['$[9]', '$[10]']);
  });

  it('compares a deletion (null data) with a value', () => {
    expect(diffJson([null, { a: 1 }])).toEqual([
      { path: '$', values: ['null', undefined], differs: true },
      { path: '$.a', values: [undefined, '1'], differs: true },
    ]);
  });
});
