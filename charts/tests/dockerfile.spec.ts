// The Dockerfile, checked without a Docker engine: pinned bases, what the build copies exists and is
// not excluded by .dockerignore, a non-root numeric user, tini as PID 1, and the paths the chart
// starts exist in the workspace.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './support';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + lines[++i]!;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!.trim(), stage });
  }
  return out;
}

/** .dockerignore as Docker applies it: last matching pattern wins, a matched directory excludes its contents. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const re = glob
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const { negate, re } of rules) if (prefixes.some((p) => re.test(p))) ignored = !negate;
    return ignored;
  };
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const ins = instructions(dockerfile);
const lastStage = Math.max(...ins.map((i) => i.stage));
const final = ins.filter((i) => i.stage === lastStage);
const isIgnored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Workspace package directories, from pnpm-workspace.yaml. */
function workspacePackages(): string[] {
  const globs: string[] = parse(readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8')).packages;
  return globs
    .flatMap((g) =>
      g.endsWith('/*')
        ? readdirSync(join(ROOT, g.slice(0, -2)), { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => `${g.slice(0, -2)}/${e.name}`)
        : [g],
    )
    .filter((d) => existsSync(join(ROOT, d, 'package.json')));
}

describe('Dockerfile', () => {
  it('builds from pinned Node images (a version tag, never latest) matching the engines field', () => {
    const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]!);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) {
      expect(image).toMatch(/^node:(\d+)\.(\d+)\.(\d+)-bookworm(-slim)?(@sha256:[a-f0-9]{64})?$/);
      const [, major, minor] = /^node:(\d+)\.(\d+)/.exec(image)!.map(Number);
      const [, wantMajor, wantMinor] = /(\d+)\.(\d+)/.exec(rootPackage.engines.node)!.map(Number);
      expect(major! > wantMajor! || (major === wantMajor && minor! >= wantMinor!)).toBe(true);
    }
    expect(froms[froms.length - 1]).toMatch(/-slim/);
    expect(dockerfile).not.toMatch(/:latest\b/);
  });

  it('uses the pnpm of packageManager and installs from the lockfile', () => {
    const pnpm = rootPackage.packageManager.replace(/^pnpm@/, '');
    expect(ins.some((i) => i.op === 'RUN' && i.args.includes(`npm i -g pnpm@${pnpm}`))).toBe(true);
    const runs = ins
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/pnpm install --frozen-lockfile(?!\s+--prod)/);
    expect(runs).toMatch(/pnpm build/);
    // The runtime gets production dependencies only.
    expect(runs).toMatch(/pnpm install --frozen-lockfile --prod/);
  });

  it('copies into the build only what exists and is not excluded by .dockerignore', () => {
    const stages = new Set(
      ins
        .filter((i) => i.op === 'FROM')
        .map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1])
        .filter(Boolean),
    );
    for (const copy of ins.filter((i) => i.op === 'COPY')) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      const paths = copy.args.replace(/--\S+/g, '').trim().split(/\s+/);
      const sources = paths.slice(0, -1);
      if (from) {
        expect(stages.has(from)).toBe(true);
        continue;
      }
      for (const src of sources) expect([src, existsSync(join(ROOT, src))]).toEqual([src, true]);
    }
    // What the install and build need reaches the context...
    const needed = [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      '.npmrc',
      'nx.json',
      'tsconfig.base.json',
    ];
    for (const dir of workspacePackages()) {
      needed.push(`${dir}/package.json`);
      for (const f of ['tsconfig.json', 'tsconfig.build.json', 'src'])
        if (existsSync(join(ROOT, dir, f))) needed.push(`${dir}/${f}`);
    }
    for (const p of needed) expect([p, isIgnored(p)]).toEqual([p, false]);
    // ...and what this machine built or installed does not.
    for (const p of [
      'node_modules',
      'apps/api/node_modules',
      'apps/api/dist',
      'libs/persistence/dist/index.js',
      '.git',
      'tools/bin/helm',
      'charts/jobplane/values.yaml',
    ])
      expect([p, isIgnored(p)]).toEqual([p, true]);
  });

  it('runs as a numeric non-root user under tini, with NODE_ENV=production and no HEALTHCHECK', () => {
    const user = final.filter((i) => i.op === 'USER').pop()?.args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user!.split(':')[0])).toBe(10001);
    expect(final.some((i) => i.op === 'RUN' && /apt-get install[^&]*\btini\b/.test(i.args))).toBe(true);
    const entrypoint = JSON.parse(final.filter((i) => i.op === 'ENTRYPOINT').pop()!.args);
    expect(entrypoint).toEqual(['/usr/bin/tini', '--']);
    expect(final.some((i) => i.op === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
    expect(ins.some((i) => i.op === 'HEALTHCHECK')).toBe(false);
    // The runtime stage has no sources, only what the build stage assembled.
    expect(final.filter((i) => i.op === 'COPY').every((i) => i.args.includes('--from='))).toBe(true);
  });

  it('defaults to the api, and every app the chart starts (and the migration) exists in the workspace', () => {
    expect(final.some((i) => i.op === 'ARG' && i.args === 'APP=api')).toBe(true);
    const cmd = JSON.parse(final.filter((i) => i.op === 'CMD').pop()!.args).join(' ');
    expect(cmd).toContain('node apps/${JOBPLANE_APP}/dist/main.js');
    for (const app of ['api', 'scheduler', 'worker', 'audit']) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8'));
      expect([app, pkg.main]).toEqual([app, 'dist/main.js']);
    }
    const persistence = JSON.parse(readFileSync(join(ROOT, 'libs', 'persistence', 'package.json'), 'utf8'));
    expect(persistence.main).toBe('dist/index.js');
    expect(readFileSync(join(ROOT, 'libs', 'persistence', 'src', 'index.ts'), 'utf8')).toMatch(
      /export \* from '\.\/database'/,
    );
  });
});
