// Renames the wasm's imports and exports in the JS glue after `wasm-opt
// --minify-imports-and-exports-and-modules` renamed them in the module (scripts/build.sh).
//   node scripts/minify-glue.mjs MAP.json GLUE.js WASM
// The `memory` export keeps its name (init() returns the exports, and callers read `memory`
// there): WASM's export section is rewritten with it. The glue's .d.ts, next to it, is
// renamed too.
// MAP.json is what wasm-opt printed: `imports` as [module, name, new name] (every module is
// then "a"), `exports` as [name, new name]. wasm-bindgen names each import after its function
// and a hash (`__wbg_then_656f253a5dd7d8ea`) and some exports after their Rust types: ~2 kB of
// gzip in the wasm and the glue that the one-letter names save. The glue is rewritten only where
// it names them: the keys of its import object, the module namespaces it passes whole (the
// snippets' functions are imported by their own names), and `wasm.<export>`. Any name the map
// holds that the glue does not show fails the build, so a new wasm-bindgen cannot silently
// produce a glue that no longer matches its module.
import { readFileSync, writeFileSync } from 'node:fs';

const [mapPath, gluePath, wasmPath] = process.argv.slice(2);
// wasm-opt prints its map after anything else it writes to stdout: the JSON is the last `{`.
const text = readFileSync(mapPath, 'utf8');
const map = JSON.parse(text.slice(text.lastIndexOf('\n{') + 1));
let glue = readFileSync(gluePath, 'utf8');

function fail(message) {
  console.error(`minify-glue: ${message}`);
  process.exit(1);
}

/** Replaces exactly one match of `re` (a global RegExp) by `to`. */
function replaceOnce(re, to, what) {
  let n = 0;
  glue = glue.replace(re, (...m) => {
    n++;
    return typeof to === 'function' ? to(...m) : to;
  });
  if (n !== 1) fail(`${what}: ${n} matches, expected 1`);
}

// The namespaces the import object passes: "module": importN.
const block = glue.match(/\n    return \{\n        __proto__: null,\n((?:        "[^"]+": import\d+,\n)+)    \};\n/);
if (!block) fail('no import object of modules in the glue');
const namespaces = {};
for (const [, module, ident] of block[1].matchAll(/"([^"]+)": (import\d+),/g)) {
  if (!(module in namespaces)) namespaces[module] = ident; // repeats name the same namespace
}
const local = namespaces['./resilient_wasm_bg.js'];
if (!local) fail('no ./resilient_wasm_bg.js imports in the glue');

const added = [];
for (const [module, name, short] of map.imports) {
  if (module === './resilient_wasm_bg.js') {
    // A key of the local import object: `        name: function(...`.
    replaceOnce(new RegExp(`\\n        ${name}: `, 'g'), `\n        ${short}: `, `import ${name}`);
  } else if (namespaces[module]) {
    added.push(`        ${short}: ${namespaces[module]}.${name},\n`);
  } else {
    fail(`import ${name} from ${module}, a module the glue does not pass`);
  }
}
// The snippets' functions join the local object; every import now comes from module "a".
replaceOnce(new RegExp(`\\n    const ${local} = \\{\\n        __proto__: null,\\n`, 'g'),
  (m) => m + added.join(''), 'the local import object');
replaceOnce(/\n    return \{\n        __proto__: null,\n(?:        "[^"]+": import\d+,\n)+    \};\n/g,
  `\n    return { __proto__: null, a: ${local} };\n`, 'the import object of modules');

let memory = null;
for (const [name, short] of map.exports) {
  if (name === 'memory') {
    memory = short;
    continue;
  }
  const re = new RegExp(`\\bwasm\\.${name.replace(/\$/g, '\\$')}\\b`, 'g');
  const uses = glue.match(re)?.length ?? 0;
  if (uses === 0 && name !== 'memory' && !name.startsWith('__')) fail(`export ${name} is not named in the glue`);
  glue = glue.replace(re, `wasm.${short}`);
}
if (memory === null) fail('no memory export in the map');

// Each exported class and its Symbol.dispose statement become one pure expression, and its
// FinalizationRegistry a pure `new`: a bundle that never uses a class (RouterCore in an app
// without routers) drops it. The statement alone would keep the class (~160 bytes gzip).
const classes = glue.match(/^export class /gm)?.length ?? 0;
let wrapped = 0;
glue = glue.replace(
  /^export class (\w+) \{\n(.*?)\n\}\nif \(Symbol\.dispose\) \1\.prototype\[Symbol\.dispose\] = \1\.prototype\.free;\n/gms,
  (_, name, body) => {
    wrapped++;
    return `export const ${name} = /* @__PURE__ */ (() => {\nclass ${name} {\n${body}\n}\n`
      + `if (Symbol.dispose) ${name}.prototype[Symbol.dispose] = ${name}.prototype.free;\nreturn ${name};\n})();\n`;
  },
);
if (classes === 0 || wrapped !== classes) fail(`exported classes: ${wrapped} of ${classes} made pure`);
const registries = glue.match(/\n {4}: new FinalizationRegistry\(/g)?.length ?? 0;
if (registries < classes) fail(`FinalizationRegistry: ${registries} found, expected at least ${classes}`);
glue = glue.replace(/\n {4}: new FinalizationRegistry\(/g, '\n    : /* @__PURE__ */ new FinalizationRegistry(');
writeFileSync(gluePath, glue);

const typesPath = gluePath.replace(/\.js$/, '.d.ts');
let types = readFileSync(typesPath, 'utf8');
for (const [name, short] of map.exports) {
  if (name !== 'memory') types = types.replace(`\n    readonly ${name}: `, `\n    readonly ${short}: `);
}
writeFileSync(typesPath, types);

// The export section (id 7) with `memory` named again: [count, (name, kind, index)...].
const wasm = readFileSync(wasmPath);
function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
function readLeb(buf, at) {
  let n = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    n |= (b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) return [n >>> 0, at];
  }
}
const parts = [wasm.subarray(0, 8)];
let at = 8;
let renamed = 0;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, body] = readLeb(wasm, at + 1);
  const end = body + size;
  if (id !== 7) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  let [count, p] = readLeb(wasm, body);
  const entries = [...leb(count)];
  for (let i = 0; i < count; i++) {
    const [len, nameAt] = readLeb(wasm, p);
    let name = wasm.subarray(nameAt, nameAt + len).toString('utf8');
    p = nameAt + len;
    const kind = wasm[p];
    const [, next] = readLeb(wasm, p + 1);
    if (kind === 2 && name === memory) {
      name = 'memory';
      renamed++;
    }
    const bytes = Buffer.from(name, 'utf8');
    entries.push(...leb(bytes.length), ...bytes, ...wasm.subarray(p, next));
    p = next;
  }
  parts.push(Buffer.from([7, ...leb(entries.length), ...entries]));
  at = end;
}
if (renamed !== 1) fail(`memory export ${memory}: ${renamed} renamed, expected 1`);
writeFileSync(wasmPath, Buffer.concat(parts));
