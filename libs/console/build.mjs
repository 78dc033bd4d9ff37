// Bundles the console (app/) into dist/web: index.html plus a content-hashed script and stylesheet,
// so the api can cache those forever and only revalidate index.html. Prints raw and gzip sizes.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = import.meta.dirname;
const out = join(root, 'dist', 'web');
const base = '/console/';

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(root, 'app', 'main.ts'), join(root, 'app', 'console.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
if (!script || !style) throw new Error(`esbuild produced ${outputs.join(', ')}`);

const html = readFileSync(join(root, 'app', 'index.html'), 'utf8')
  .replace('%STYLE%', base + style)
  .replace('%SCRIPT%', base + script);
writeFileSync(join(out, 'index.html'), html);

let raw = 0;
let gzip = 0;
for (const file of ['index.html', script, style]) {
  const bytes = readFileSync(join(out, file));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
const sizes = { files: ['index.html', script, style], rawBytes: raw, gzipBytes: gzip };
// Beside web/, not in it: the api serves everything in web/.
writeFileSync(join(root, 'dist', 'console-sizes.json'), JSON.stringify(sizes, null, 2) + '\n');
console.log(`console bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gzip / 1024).toFixed(1)} KiB gzip`);
