#!/usr/bin/env node
// Writes docs/api/openapi.json from the zod schemas (build libs/api-service first).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { renderOpenApiJson } = require('../libs/api-service/dist/index.js');
writeFileSync(new URL('../docs/api/openapi.json', import.meta.url), renderOpenApiJson());
console.log('docs/api/openapi.json written');
