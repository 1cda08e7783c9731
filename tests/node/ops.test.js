// The JS methods call the wasm entries by operation number (node-host/lib/ops.js); the numbers
// mean what the Rust tables say (UNARY in core/src/providers.rs, the others in wasm/src/lib.rs). A list out of step would run the wrong operation, so
// the two are compared here, name by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { UNARY, STREAMS, LOCAL, QUERIES, CALLS } from '../../node-host/lib/ops.js';

const rust = ['../../core/src/providers.rs', '../../wasm/src/lib.rs']
  .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n');

/** The names of `const NAME: [&str; N] = [...]` in those files. */
function table(name) {
  const m = rust.match(new RegExp(`const ${name}: \\[&str; (\\d+)\\] = \\[([^\\]]*)\\]`));
  assert.ok(m, `no Rust table ${name}`);
  const names = [...m[2].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  assert.equal(names.length, Number(m[1]));
  return names;
}

test('ops.js numbers the operations as the Rust tables do', () => {
  assert.deepEqual(UNARY, table('UNARY'));
  assert.deepEqual(STREAMS, table('STREAMS'));
  assert.deepEqual(LOCAL, table('LOCAL'));
  assert.deepEqual(QUERIES, table('QUERIES'));
  assert.deepEqual(CALLS, table('CALLS'));
});
