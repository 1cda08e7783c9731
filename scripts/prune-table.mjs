// Points the function table's entries that nothing can call at one live function, so wasm-opt
// can drop the code they kept. Run on wasm-bindgen's output, before wasm-opt (scripts/build.sh).
//   node scripts/prune-table.mjs <module.wasm>   (rewritten in place)
//
// Why: wasm-bindgen learns each import's types by running its `__wbindgen_describe_*` function,
// then deletes those functions; but a describe of an import that takes a closure had put the
// closure's invoke shim in the table (its index is what it reported), and the table entry
// outlives it. Every js-sys method with a callback (Int8Array.forEach, Set.forEach, ...) so
// leaves a shim nothing calls (35 of the table's 427 entries when this was written), which
// wasm-opt must keep, as it cannot know which indices a call_indirect will compute.
//
// Rust code never computes a table index: a function pointer is a constant, in code
// (`i32.const`) or in data (a vtable, a static). So an entry whose index appears nowhere as an
// `i32.const` (read from wasm-dis's text) nor as four bytes at any offset of any data segment
// (little-endian, aligned or not) is unreachable, and is pointed at the function the table's
// first live entry holds: the table keeps its size and every index that can be called keeps
// its function. JS never reads this table (wasm-bindgen's glue uses only the externref one).
// Anything not understood here (another element segment form, a second function table, a
// data offset that is not a constant) leaves the module unchanged, with a note on stderr.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/prune-table.mjs <module.wasm>');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bytes = readFileSync(file);

/** Unsigned LEB128 at `pos`: [value, next position]. */
function uleb(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, pos];
  }
}

/** Signed LEB128 (an i32.const's operand) at `pos`. */
function sleb(buf, pos) {
  let value = 0;
  let shift = 0;
  let b;
  do {
    b = buf[pos++];
    value |= (b & 0x7f) << shift;
    shift += 7;
  } while (b >= 0x80 && shift < 35);
  if (shift < 32 && b & 0x40) value |= -1 << shift;
  return [value, pos];
}

function encodeUleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** A constant offset expression (`i32.const n end`) at `pos`: [n, next position], or null. */
function constOffset(buf, pos) {
  if (buf[pos] !== 0x41) return null;
  const [n, p] = sleb(buf, pos + 1);
  return buf[p] === 0x0b ? [n, p + 1] : null;
}

function leave(why) {
  console.error(`prune-table: left unchanged: ${why}`);
  process.exit(0);
}

// The module's sections: [id, start of contents, end].
const sections = [];
for (let pos = 8; pos < bytes.length; ) {
  const id = bytes[pos];
  const [size, start] = uleb(bytes, pos + 1);
  sections.push([id, start, start + size, pos]);
  pos = start + size;
}
const section = (id) => sections.filter((s) => s[0] === id);
// Table 0 must be this module's own funcref table, neither imported nor exported (JS could
// call any entry of one it sees).
for (const [, start] of section(2)) {
  let [count, pos] = uleb(bytes, start);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 2; k++) {
      const [len, p] = uleb(bytes, pos);
      pos = p + len;
    }
    const kind = bytes[pos++];
    if (kind === 1) leave('an imported table');
    if (kind === 0) [, pos] = uleb(bytes, pos);
    else if (kind === 2) pos = bytes[pos] === 1 ? uleb(bytes, uleb(bytes, pos + 1)[1])[1] : uleb(bytes, pos + 1)[1];
    else if (kind === 3) pos += 2;
    else if (kind === 4) pos = uleb(bytes, pos + 1)[1];
    else leave(`import kind ${kind}`);
  }
}
const tables = section(4);
if (tables.length !== 1 || bytes[uleb(bytes, tables[0][1])[1]] !== 0x70) leave('table 0 is not a funcref table');
for (const [, start] of section(7)) {
  let [count, pos] = uleb(bytes, start);
  for (let i = 0; i < count; i++) {
    const [len, p] = uleb(bytes, pos);
    const kind = bytes[p + len];
    const [index, next] = uleb(bytes, p + len + 1);
    if (kind === 1 && index === 0) leave('table 0 is exported');
    pos = next;
  }
}
const elems = section(9);
if (elems.length !== 1) leave('no element section');
const [, elemStart, elemEnd, elemHeader] = elems[0];

// The element section: only the plain form (flags 0: table 0, a constant offset, indices).
const segments = [];
{
  let [count, pos] = uleb(bytes, elemStart);
  for (let i = 0; i < count; i++) {
    const [flags, p1] = uleb(bytes, pos);
    if (flags !== 0) leave(`element segment form ${flags}`);
    const offset = constOffset(bytes, p1);
    if (!offset) leave('an element offset that is not a constant');
    let [n, p] = uleb(bytes, offset[1]);
    const funcs = [];
    for (let k = 0; k < n; k++) {
      let f;
      [f, p] = uleb(bytes, p);
      funcs.push(f);
    }
    segments.push({ base: offset[0], funcs });
    pos = p;
  }
  if (pos !== elemEnd) leave('unread bytes in the element section');
}

// Every constant a function pointer could be: code's i32.const operands...
const used = new Set();
// Table indices of wasm-bindgen's closure invoke shims (by the names wasm-bindgen's output
// keeps): no table call reaches one. The glue calls the shim of each closure it makes through
// an export (`makeClosure(..., wasm.<shim>)`), and a closure's body is called through its own
// vtable; the table entries are only what the deleted describe functions reported. Their small
// indices turn up among code's constants by chance, so the rule above alone kept most of them.
let shims = [];

/** The table indices whose function is a closure invoke shim (from the element segment's
 * names in wasm-dis's text; none when the names are gone). */
function closureShims(text) {
  const at = text.indexOf('(elem ');
  const m = at < 0 ? null : /^\(elem \$\S+ \(table \$\S+\) \(i32\.const (\d+)\) func (.*)$/m.exec(text.slice(at));
  if (!m) return [];
  const names = [...m[2].matchAll(/\$("[^"]*"|\S+)/g)].map((n) => n[1]);
  const out = [];
  names.forEach((n, k) => {
    if (/::convert::closures::_::invoke::</.test(n)) out.push(Number(m[1]) + k);
  });
  return out;
}
const dir = mkdtempSync(join(tmpdir(), 'prune-table-'));
try {
  const wat = join(dir, 'm.wat');
  execFileSync(join(root, '.tools/node_modules/.bin/wasm-dis'), [file, '-o', wat], { stdio: 'inherit' });
  const text = readFileSync(wat, 'utf8');
  for (const m of text.matchAll(/\(i32\.const (-?\d+)\)/g)) used.add(Number(m[1]) >>> 0);
  shims = closureShims(text);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// ...and every four bytes of every data segment, at any offset.
for (const [, start] of section(11)) {
  let [count, pos] = uleb(bytes, start);
  for (let i = 0; i < count; i++) {
    const [flags, p1] = uleb(bytes, pos);
    let p = p1;
    if (flags === 0) {
      const offset = constOffset(bytes, p);
      if (!offset) leave('a data offset that is not a constant');
      p = offset[1];
    } else if (flags === 2) {
      [, p] = uleb(bytes, p);
      const offset = constOffset(bytes, p);
      if (!offset) leave('a data offset that is not a constant');
      p = offset[1];
    } else if (flags !== 1) {
      leave(`data segment form ${flags}`);
    }
    const [len, q] = uleb(bytes, p);
    for (let k = q; k + 4 <= q + len; k++) used.add(bytes.readUInt32LE(k));
    pos = q + len;
  }
}

for (const i of shims) used.delete(i);
let pruned = 0;
const out = [...encodeUleb(segments.length)];
for (const { base, funcs } of segments) {
  const live = funcs.find((_, k) => used.has((base + k) >>> 0));
  const kept = funcs.map((f, k) => {
    if (live === undefined || used.has((base + k) >>> 0)) return f;
    pruned++;
    return live;
  });
  const offset = [];
  // i32.const base (signed LEB128), end
  let v = base | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      offset.push(b);
      break;
    }
    offset.push(b | 0x80);
  }
  out.push(0, 0x41, ...offset, 0x0b, ...encodeUleb(kept.length));
  for (const f of kept) out.push(...encodeUleb(f));
}
const body = Buffer.from(out);
const rewritten = Buffer.concat([
  bytes.subarray(0, elemHeader),
  Buffer.from([9, ...encodeUleb(body.length)]),
  body,
  bytes.subarray(elemEnd),
]);
writeFileSync(file, rewritten);
console.error(`prune-table: ${pruned} of ${segments.reduce((n, s) => n + s.funcs.length, 0)} table entries unreachable`);
