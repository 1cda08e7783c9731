// Checks what `npm pack` puts in the tarball (node check-pack.mjs <node-host dir> <pack.json>,
// where pack.json is the output of `npm pack --dry-run --json`): README, LICENSE, the wasm and
// every file the exports map names are in it; tests and Rust sources are not; no module a user
// can load has a top-level await (esbuild refuses one when told the target has none); and the
// names and version the JS exports before the wasm loads are the engine's own.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';

const [pkgDir, packJson] = process.argv.slice(2);
const [pack] = JSON.parse(readFileSync(packJson, 'utf8'));
const files = new Set(pack.files.map((f) => f.path));
const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const problems = [];

for (const need of ['README.md', 'LICENSE', 'package.json', 'pkg/resilient_wasm_bg.wasm', 'pkg/resilient_wasm.js']) {
  if (!files.has(need)) problems.push(`missing ${need}`);
}

// Every target of the exports map, through nested conditions.
function targets(value) {
  if (typeof value === 'string') return [value];
  return Object.values(value).flatMap(targets);
}
for (const target of targets(manifest.exports)) {
  if (!files.has(target.replace(/^\.\//, ''))) problems.push(`exports names ${target}, which is not packed`);
}
if (!manifest.exports['./package.json']) problems.push('./package.json is not exported');

for (const file of files) {
  if (/(^|\/)(tests?|__tests__)\//.test(file) || /\.test\.[cm]?js$/.test(file)) problems.push(`a test is packed: ${file}`);
  if (/\.rs$|(^|\/)Cargo\.(toml|lock)$/.test(file)) problems.push(`a Rust source is packed: ${file}`);
}

// The command line (cli.js and check/) is a program, not a module anyone imports.
let checked = 0;
for (const file of files) {
  if (!/\.[cm]?js$/.test(file) || file === 'cli.js' || file.startsWith('check/') || file.endsWith('.cjs')) continue;
  try {
    transformSync(readFileSync(path.join(pkgDir, file), 'utf8'), {
      format: 'esm', loader: 'js', supported: { 'top-level-await': false }, logLevel: 'silent',
    });
    checked++;
  } catch (err) {
    problems.push(`${file}: ${err.errors?.[0]?.text ?? err.message}`);
  }
}

// lib/names.js answers before the engine exists; it must say what the engine says.
const glue = await import(pathToFileURL(path.join(pkgDir, 'pkg', 'resilient_wasm.js')).href);
glue.initSync({ module: readFileSync(path.join(pkgDir, 'pkg', 'resilient_wasm_bg.wasm')) });
const names = await import(pathToFileURL(path.join(pkgDir, 'lib', 'names.js')).href);
if (JSON.stringify(names.PROVIDERS) !== JSON.stringify(glue.providers())) {
  problems.push(`lib/names.js PROVIDERS ${names.PROVIDERS} differ from the engine's ${glue.providers()}`);
}
for (const [what, v] of [['the engine', glue.version()], ['package.json', manifest.version]]) {
  if (names.version !== v) problems.push(`lib/names.js version ${names.version} differs from ${what}'s ${v}`);
}

if (problems.length) {
  for (const p of problems) console.error(`FAIL pack: ${p}`);
  process.exit(1);
}
console.log(`PASS pack: ${pack.filename}, ${files.size} files, ${(pack.size / 1024).toFixed(0)} KiB packed; `
  + `README, LICENSE, wasm and every export present; no tests or Rust sources; no top-level await in ${checked} modules; `
  + `names and version ${names.version} match the engine`);
