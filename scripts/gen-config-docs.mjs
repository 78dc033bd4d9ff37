#!/usr/bin/env node
// Writes docs/configuration.md from the variables table in libs/config (build it first).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { renderConfigDocs } = require('../libs/config/dist/index.js');
writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
console.log('docs/configuration.md written');
