import { baseline } from './baseline';
import type { Scenario } from './common';

/** In priority order; `fast` ones make the CI subset. */
export const SCENARIOS: Scenario[] = [baseline];
