import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from './config-docs';

describe('docs/configuration.md', () => {
  it('is current with the variables table (regenerate with `pnpm docs:config`)', () => {
    const onDisk = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    expect(onDisk).toBe(renderConfigDocs());
  });
});
