// The JS methods call the wasm entries by operation number (node-host/lib/ops.js); the numbers
// mean what wasm/src/lib.rs's tables say. A list out of step would run the wrong operation, so
// the two are compared here, name by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { UNARY, STREAMS, LOCAL } from '../../node-host/lib/ops.js';

const rust = readFileSync(new URL('../../wasm/src/lib.rs', import.meta.url), 'utf8');

/** The names of `const NAME: [&str; N] = [...]` in lib.rs. */
function table(name) {
  const m = rust.match(new RegExp(`const ${name}: \\[&str; (\\d+)\\] = \\[([^\\]]*)\\]`));
  assert.ok(m, `lib.rs has no table ${name}`);
  const names = [...m[2].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  assert.equal(names.length, Number(m[1]));
  return names;
}

test('ops.js numbers the operations as wasm/src/lib.rs does', () => {
  assert.deepEqual(UNARY, table('UNARY'));
  assert.deepEqual(STREAMS, table('STREAMS'));
  assert.deepEqual(LOCAL, table('LOCAL'));
});
