// Prints the raw and gzip sizes of the initial bundle: the files index.html loads at start-up
// (scripts, module preloads, stylesheets), measured from the production build on disk.
// Usage: node scripts/bundle-size.mjs [dist/webapp/browser]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = path.resolve(process.argv[2] ?? 'dist/webapp/browser');
const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
const refs = new Set(['index.html']);
for (const m of html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^"]+\.(?:js|css))"/g)) {
  refs.add(m[1]);
}
let raw = 0;
let gz = 0;
const rows = [];
for (const ref of refs) {
  const body = readFileSync(path.join(dir, ref));
  const g = gzipSync(body, { level: 9 }).length;
  raw += body.length;
  gz += g;
  rows.push([ref, body.length, g]);
}
const kb = (n) => (n / 1000).toFixed(2).padStart(8) + ' kB';
for (const [ref, r, g] of rows) console.log(`${ref.padEnd(28)} ${kb(r)} ${kb(g)} gzip`);
console.log(`${'initial total'.padEnd(28)} ${kb(raw)} ${kb(gz)} gzip`);
