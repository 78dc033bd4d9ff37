// Documentation kept honest: the chart README documents every value, and the Kubernetes docs link
// only to files and headings that exist.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { anchorsOf, CHART, ROOT } from './support';

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Value paths a reader must find in the README: the schema says where a value is structured (it has
 * properties) and where it is free-form (resources, labels, ...), which is documented as a whole.
 * List items get `path[].key` for their keys that the parent object does not have itself.
 */
function valuePaths(
  values: unknown,
  schema: any,
  path = '',
  parentProps?: Record<string, unknown>,
): string[] {
  if (schema?.properties && isMap(values) && Object.keys(values).length > 0)
    return Object.entries(values).flatMap(([k, v]) =>
      valuePaths(v, schema.properties[k], path ? `${path}.${k}` : k, schema.properties),
    );
  const items =
    Array.isArray(values) && schema?.items?.properties
      ? Object.keys(schema.items.properties).filter((k) => !(parentProps && k in parentProps))
      : [];
  return [path, ...items.map((k) => `${path}[].${k}`)];
}

describe('charts/jobplane/README.md', () => {
  const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));

  it('has a row in the values table for every value', () => {
    const paths = valuePaths(values, schema);
    expect(paths.length).toBeGreaterThan(100);
    const documented = new Set([...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
    expect(paths.filter((p) => !documented.has(p))).toEqual([]);
  });

  it('documents no value that does not exist', () => {
    const paths = new Set(valuePaths(values, schema));
    const documented = [...readme.matchAll(/^\| `([a-zA-Z][\w.[\]]*)` \|/gm)].map((m) => m[1]!);
    expect(documented.filter((p) => !paths.has(p))).toEqual([]);
  });
});

describe.each(['docs/operations/kubernetes.md', 'charts/jobplane/README.md', 'k8s/README.md'])(
  '%s',
  (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');

    it('links only to files and headings that exist', () => {
      const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1]!)
        .filter((l) => !/^[a-z]+:/.test(l));
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        const [target, hash] = link.split('#') as [string, string | undefined];
        const path = target ? join(dirname(join(ROOT, file)), target) : join(ROOT, file);
        expect([link, existsSync(path)]).toEqual([link, true]);
        if (hash) expect([link, anchorsOf(path).has(hash)]).toEqual([link, true]);
      }
    });
  },
);

describe('docs/operations/kubernetes.md', () => {
  const text = readFileSync(join(ROOT, 'docs', 'operations', 'kubernetes.md'), 'utf8');

  it('covers install, scaling, upgrade, rollback, backups and incident response', () => {
    const anchors = anchorsOf(join(ROOT, 'docs', 'operations', 'kubernetes.md'));
    for (const a of ['install', 'scale', 'upgrade', 'rollback', 'backups', 'incident-response'])
      expect([a, anchors.has(a)]).toEqual([a, true]);
    for (const cmd of [
      'helm install',
      'existingSecret',
      'kubectl -n jobplane scale deploy/jobplane-worker-',
      'ScaledObject',
      'helm upgrade',
      'helm rollback',
    ])
      expect([cmd, text.includes(cmd)]).toEqual([cmd, true]);
  });

  it('links into every runbook section it relies on', () => {
    const runbook = anchorsOf(join(ROOT, 'docs', 'operations', 'runbook.md'));
    const used = [...text.matchAll(/runbook\.md#([a-z0-9-]+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(2);
    for (const a of used) expect([a, runbook.has(a)]).toEqual([a, true]);
  });
});
