# syntax=docker/dockerfile:1
# One image for every jobplane process; the command picks the app:
#   node apps/<api|scheduler|worker|audit>/dist/main.js
# The Helm chart passes that as container args, so the tini entrypoint below stays in place.
#
#   docker build -t jobplane:0.1.0 .
#   docker build --build-arg APP=worker -t jobplane-worker:0.1.0 .   # only changes the default command

# ---- build: install from the lockfile, compile every package, then keep production dependencies only.
# The full (not slim) image has the compilers a native dependency might need; same Debian as the runtime.
FROM node:20.20.2-bookworm AS build
WORKDIR /src
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
# The pnpm of package.json's packageManager, so the lockfile is read exactly as in development.
RUN npm i -g pnpm@10.34.9
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm build
# Reinstall without devDependencies (from the store filled above, no network), then copy each
# workspace package's package.json, dist and node_modules into /out, keeping the monorepo layout that
# apps/*/dist/main.js and the workspace symlinks expect. Sources, tests and tooling stay behind.
RUN rm -rf node_modules apps/*/node_modules libs/*/node_modules e2e/node_modules charts/node_modules \
 && pnpm install --frozen-lockfile --prod --offline \
 && mkdir -p /out \
 && cp -a package.json node_modules /out/ \
 && for dir in apps/* libs/*; do \
      test -f "$dir/dist/index.js" -o -f "$dir/dist/main.js" || { echo "$dir has no dist"; exit 1; }; \
      mkdir -p "/out/$dir" && cp -a "$dir/package.json" "$dir/dist" "/out/$dir/"; \
      if [ -d "$dir/node_modules" ]; then cp -a "$dir/node_modules" "/out/$dir/"; fi; \
    done \
 && find /out -name '*.tsbuildinfo' -delete

# ---- runtime: slim Node, tini as PID 1, an unprivileged numeric user, no build tooling
FROM node:20.20.2-bookworm-slim AS runtime
# tini forwards SIGTERM to Node and reaps zombies: the graceful drain of workers depends on the signal.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 jobplane \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin jobplane
WORKDIR /app
ENV NODE_ENV=production
# Files stay owned by root: the process can read but not modify its code.
COPY --from=build /out /app
# Numeric, so that Kubernetes' runAsNonRoot can verify it (a user name cannot be checked).
USER 10001:10001
ARG APP=api
ENV JOBPLANE_APP=${APP}
ENTRYPOINT ["/usr/bin/tini", "--"]
# Default: the api (APP=api). exec replaces the shell, so tini's child is Node itself.
CMD ["sh", "-c", "exec node apps/${JOBPLANE_APP}/dist/main.js"]
# No HEALTHCHECK: Kubernetes probes /health/live and /health/ready.
