# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line of the emulator (`python3 tests/emulator --help`)."""

from __future__ import annotations

import argparse
import sys

from .config import DEFAULT_API_VERSION, Settings
from .seed import FixtureError, build_world
from .server import Emulator
from .state import Store

DEFAULT_TOKEN = "1|coolops-emulator-root-token"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 tests/emulator",
        description="A sandbox Coolify v1 API: in-memory state, real HTTP, Coolify's quirks. "
                    "Admin endpoints live under /_emulator/ (requests, state, stats, reset, config, resources/{uuid}).")
    listen = parser.add_argument_group("listening and tokens")
    listen.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    listen.add_argument("--port", type=int, default=0, help="port (0 picks a free one; the first stdout line names it)")
    listen.add_argument("--token", default=DEFAULT_TOKEN, help="root-team token holding every ability (default %(default)s)")
    listen.add_argument("--add-token", action="append", default=[], metavar="TOKEN=ABILITY[,ABILITY...][@TEAM_ID]",
                        help="another token (repeatable), e.g. 2|ro=read@0; each one belongs to its own user")
    listen.add_argument("--api-disabled", action="store_true", help="start with the API disabled (403 API is disabled.)")
    listen.add_argument("--api-version", default=DEFAULT_API_VERSION,
                        help="Coolify version to emulate (default %(default)s); 4.1.2 or older lets GET run the actions")
    data = parser.add_argument_group("seed data")
    data.add_argument("--fixture", metavar="FILE", help="YAML or JSON seed (see tests/emulator/README.md)")
    data.add_argument("--seed-apps", type=int, default=8, metavar="N", help="generated applications (default 8)")
    data.add_argument("--seed-services", type=int, default=4, metavar="N", help="generated services (default 4)")
    data.add_argument("--seed-servers", type=int, default=2, metavar="N", help="generated servers (default 2)")
    data.add_argument("--seed-projects", type=int, default=2, metavar="N", help="generated projects (default 2)")
    data.add_argument("--seed-databases", type=int, default=4, metavar="N",
                      help="generated standalone databases, all 8 types in turn (default 4); about half get a backup")
    data.add_argument("--random-seed", type=int, default=None,
                      help="seed for the fleet, faults, jitter and deploy failures (makes them reproducible)")
    timing = parser.add_argument_group("timing and faults")
    timing.add_argument("--latency-ms", type=float, default=0.0, help="added to every API request")
    timing.add_argument("--jitter-ms", type=float, default=0.0, help="random extra latency, 0..N ms")
    timing.add_argument("--fault-rate", type=float, default=0.0, metavar="P",
                        help="share of API requests answered 500/502/503 or cut off (0..1)")
    timing.add_argument("--fail-path", action="append", default=[], metavar="REGEX",
                        help="API requests whose 'METHOD /api/v1/path' (no query string) matches answer 500 (repeatable)")
    timing.add_argument("--lose-response", action="append", default=[], metavar="REGEX",
                        help="API requests matching it (like --fail-path) are processed in full, then answered with "
                             "nginx's 504 page: the answer is lost, the effect is not (repeatable)")
    timing.add_argument("--rate-limit", type=int, default=200, metavar="N", help="requests per window per user (default 200)")
    timing.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS", help="rate-limit window (default 60)")
    timing.add_argument("--deploy-seconds", type=float, default=3.0, help="time a deployment spends in_progress (default 3)")
    timing.add_argument("--deploy-fail-rate", type=float, default=0.0, metavar="P", help="share of deployments that fail")
    timing.add_argument("--status-lag-seconds", type=float, default=1.0,
                        help="delay before a status follows a start/stop (default 1)")
    timing.add_argument("--job-delay-seconds", type=float, default=1.0, metavar="S",
                        help="time a queued job (service start/stop/restart, app stop, database actions) waits "
                             "before it runs; the status is unchanged until then (default 1)")
    timing.add_argument("--queue-limit", type=int, default=25, metavar="N", help="queued deployments per server (default 25)")
    timing.add_argument("--concurrent-builds", type=int, default=2, metavar="N",
                        help="in-progress deployments per server (default 2)")
    timing.add_argument("--backup-seconds", type=float, default=2.0, metavar="S",
                        help="time each database dump of a backup run takes (default 2)")
    timing.add_argument("--backup-fail-rate", type=float, default=0.0, metavar="P",
                        help="share of backup executions that fail (default 0; reproducible with --random-seed)")
    args = parser.parse_args(argv)
    for name in ("job_delay_seconds", "status_lag_seconds", "deploy_seconds", "backup_seconds", "seed_databases"):
        if getattr(args, name) < 0:
            parser.error("--%s must not be negative" % name.replace("_", "-"))
    for name in ("fault_rate", "deploy_fail_rate", "backup_fail_rate"):
        if not 0 <= getattr(args, name) <= 1:
            parser.error("--%s must be between 0 and 1" % name.replace("_", "-"))
    return args


def settings_from_args(args):
    return Settings(api_enabled=not args.api_disabled, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms,
                    fault_rate=args.fault_rate, fail_paths=args.fail_path, lose_paths=args.lose_response,
                    job_delay_seconds=args.job_delay_seconds, rate_limit=args.rate_limit,
                    rate_window=args.rate_window, deploy_seconds=args.deploy_seconds,
                    deploy_fail_rate=args.deploy_fail_rate, status_lag_seconds=args.status_lag_seconds,
                    api_version=args.api_version, queue_limit=args.queue_limit,
                    concurrent_builds=args.concurrent_builds, backup_seconds=args.backup_seconds,
                    backup_fail_rate=args.backup_fail_rate)


def create(args):
    """Build the emulator (not yet serving) from parsed arguments."""
    world = build_world(fixture=args.fixture, seed_apps=args.seed_apps, seed_services=args.seed_services,
                        seed_servers=args.seed_servers, seed_projects=args.seed_projects,
                        random_seed=args.random_seed, root_token=args.token, extra_tokens=args.add_token,
                        seed_databases=args.seed_databases)
    store = Store(world, settings_from_args(args), random_seed=args.random_seed)
    return Emulator(store, args.host, args.port)


def main(argv=None):
    args = parse_args(argv)
    try:
        emulator = create(args)
    except (FixtureError, OSError, ValueError) as exc:
        sys.stderr.write("emulator: %s\n" % exc)
        return 2
    sys.stdout.write("listening on %s\n" % emulator.url)
    sys.stdout.flush()
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.httpd.server_close()
    return 0
