import { Body, Controller, Get, Inject, Param, Patch } from '@nestjs/common';
import {
  ERROR_CODES,
  patchPoolRequestSchema,
  POOL_PATTERN,
  PoolView,
  Principal,
  actorIdOf,
} from '@jobplane/contracts';
import { PoolSettings, PoolStore } from '@jobplane/persistence';
import { Auth } from './auth/auth.decorator';
import { ApiProblem, parseInput } from './problems';

export const DEFAULT_POOL_CAPACITY = Symbol('DEFAULT_POOL_CAPACITY');

/**
 * Pools: capacity, rate limit, pause; read and changed at run time (the conductor re-reads them).
 * Pools are shared by every tenant: any key with `jobs:read` may look, only `admin` may change them.
 */
@Controller('v1/pools')
export class PoolsController {
  constructor(
    @Inject(PoolStore) private readonly pools: PoolStore,
    @Inject(DEFAULT_POOL_CAPACITY) private readonly defaultCapacity: number,
  ) {}

  @Get()
  async list(@Auth('jobs:read') _p: Principal): Promise<{ items: PoolView[] }> {
    const [settings, inFlight, backlog] = await Promise.all([
      this.pools.list(),
      this.pools.inFlight(),
      this.pools.backlog(),
    ]);
    const names = [
      ...new Set([...settings.map((s) => s.name), ...inFlight.keys(), ...backlog.keys()]),
    ].sort();
    return {
      items: names.map((n) => this.view(n, settings.find((s) => s.name === n) ?? null, inFlight, backlog)),
    };
  }

  @Get(':pool')
  async get(@Auth('jobs:read') _p: Principal, @Param('pool') name: string): Promise<PoolView> {
    checkName(name);
    const [settings, inFlight, backlog] = await Promise.all([
      this.pools.get(name),
      this.pools.inFlight(),
      this.pools.backlog(),
    ]);
    return this.view(name, settings, inFlight, backlog);
  }

  @Patch(':pool')
  async patch(
    @Auth('admin') p: Principal,
    @Param('pool') name: string,
    @Body() body: unknown,
  ): Promise<PoolView> {
    checkName(name);
    const patch = parseInput(patchPoolRequestSchema, body ?? {}, 'body');
    // Resuming also lifts a rate-limit pause.
    const settings = await this.pools.patch(
      name,
      patch.paused === false ? { ...patch, pausedUntil: null } : patch,
      this.defaultCapacity,
      { tenant: p.tenant, id: actorIdOf(p) },
    );
    const [inFlight, backlog] = await Promise.all([this.pools.inFlight(), this.pools.backlog()]);
    return this.view(name, settings, inFlight, backlog);
  }

  private view(
    name: string,
    s: PoolSettings | null,
    inFlight: Map<string, number>,
    backlog: Map<string, { depth: number; oldestAgeMs: number }>,
  ): PoolView {
    return {
      name,
      capacity: s?.capacity ?? this.defaultCapacity,
      rate: s?.rate ?? null,
      paused: s?.paused ?? false,
      pausedUntil: s?.pausedUntil && s.pausedUntil > new Date() ? s.pausedUntil.toISOString() : null,
      inFlight: inFlight.get(name) ?? 0,
      backlog: backlog.get(name)?.depth ?? 0,
      oldestQueuedAgeMs: backlog.get(name)?.oldestAgeMs ?? 0,
    };
  }
}

function checkName(name: string): void {
  if (!POOL_PATTERN.test(name)) {
    throw new ApiProblem(
      400,
      ERROR_CODES.validation,
      'Invalid pool name',
      `"${name}": lower-case letters, digits and "-" (max 63)`,
    );
  }
}
