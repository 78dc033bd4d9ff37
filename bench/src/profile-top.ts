import { readFileSync } from 'node:fs';

/**
 * `node bench/dist/profile-top.js FILE.cpuprofile [N]`: the N functions with the most self time in
 * a V8 CPU profile, and the share per package (what a flame graph shows, as text for the docs).
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const hits = new Map<number, number>();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = profile.samples.length;
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const n of profile.nodes) {
  const h = hits.get(n.id) ?? 0;
  if (h === 0) continue;
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url.replace(/^.*node_modules\/(\.pnpm\/)?/, '').replace(/^file:\/\/.*\/(libs|apps)\//, '$1/');
  const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + h);
  const pkg =
    /node_modules\/(?:\.pnpm\/)?(@?[^/@]+(?:\/[^/@]+)?)/.exec(url)?.[1] ??
    (url
      ? url.replace(/^file:\/\/.*?\/(libs\/[^/]+|apps\/[^/]+).*$/, '$1').replace(/^node:.*$/, 'node:internal')
      : `(${functionName})`);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + h);
}
const pct = (h: number) => `${((h / total) * 100).toFixed(1)}%`;
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
console.log(`${file}: ${total} samples`);
console.log('-- self time by package');
for (const [k, h] of sorted(byPkg).slice(0, 15)) console.log(`${pct(h).padStart(6)}  ${k}`);
console.log('-- self time by function');
for (const [k, h] of sorted(byFn).slice(0, Number(top))) console.log(`${pct(h).padStart(6)}  ${k}`);
