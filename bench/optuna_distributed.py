#!/usr/bin/python3
"""Optuna 3.1 distributed, as a yardstick for `npm run bench:distributed`.

P processes optimise one study the way Optuna's users distribute it: each process loads the
study from a shared storage and calls `study.optimize(objective, n_trials=...)`, the N trials
split between them so that exactly N run in all. The objective is instant (sum of squares of
x0..x5 in [-5, 5]), so the figure is the dispatch capacity of Optuna + its storage: every trial
is an ask (TPESampler, default options, seed = --seed + process index so that the processes
differ) and a tell through the storage.

Run with Debian's python (python3-optuna 3.1, python3-redis, python3-psycopg2):
    /usr/bin/python3 bench/optuna_distributed.py --storage redis --trials 1000 --processes 8
    /usr/bin/python3 bench/optuna_distributed.py --storage postgres --trials 1000 --processes 8

Storages:
  redis     optuna.storages.JournalStorage(optuna.storages.JournalRedisStorage(url, prefix=...)),
            the key prefix `hs_bench_optuna_<random>` (keys `<prefix>:log_number`,
            `<prefix>:log:<n>`, `<prefix>:snapshot`); every key under the prefix is deleted at the
            end. Nothing else on the server is touched (never FLUSHDB).
  postgres  optuna.storages.RDBStorage on a database `hs_bench_<random>` created for the run on
            the server of --pg-url (Optuna's tables and its alembic_version go there, not into the
            database of the URL) and dropped at the end. If the role may not create databases,
            a schema `hs_bench_<random>` in the URL's database is used instead (search_path) and
            dropped at the end.

Split: by default the processes draw the N trials from one shared budget, one at a time (a
counter in shared memory, outside Optuna: a process takes a ticket before its first trial and
another in a callback after each, calling study.stop() when none is left), so exactly N trials
run and a process the scheduler favours runs more, as with a shared queue; the last process ends
at most one trial after the others. `--split even` gives each process its N/P trials
(optimize(n_trials=N/P), as the Optuna tutorial launches processes): then the run lasts as long
as the slowest process, which on a loaded machine can be 10-25 s after the first.

Timing: every process builds its storage, loads the study and builds its sampler, then waits at a
barrier; `seconds` runs from the barrier to the moment the last process finishes its optimize()
(`trials_per_s` = trials / seconds). `wall_s` is the whole run from starting the processes (fresh
interpreters: multiprocessing's spawn, as separate launches would be) to the last one exiting;
`startup_s` the part before the barrier. The trials in the study are counted afterwards.

Prints one JSON object per line: one {"kind": "optuna_distributed", ...} per --repeat, or
{"kind": "skipped", "storage": ..., "reason": ...} (exit status 0) when the storage's server is
unreachable or a Python package is missing. Progress and errors go to stderr.
"""

import argparse
import json
import multiprocessing as mp
import os
import secrets
import signal
import sys
import time
import traceback
import warnings

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
PACKAGES = {"optuna": "python3-optuna", "redis": "python3-redis", "psycopg2": "python3-psycopg2"}
N_PARAMS = 6


def emit(record):
    print(json.dumps(record), flush=True)


def log(message):
    print(message, file=sys.stderr, flush=True)


def quiet():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # JournalStorage / JournalRedisStorage are experimental in 3.1 and say so on every use.
    warnings.filterwarnings("ignore")


def objective(trial):
    return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(N_PARAMS))


# ------------------------------------------------------------------------------- storages
def make_storage(spec):
    """The storage object of one process (each process builds its own, as a separate launch would)."""
    import optuna

    if spec["storage"] == "redis":
        return optuna.storages.JournalStorage(
            optuna.storages.JournalRedisStorage(spec["redis_url"], prefix=spec["redis_prefix"])
        )
    engine_kwargs = {}
    if spec.get("pg_schema"):
        engine_kwargs["connect_args"] = {"options": f"-csearch_path={spec['pg_schema']}"}
    return optuna.storages.RDBStorage(spec["pg_run_url"], engine_kwargs=engine_kwargs)


def redis_delete_prefix(client, prefix):
    # The prefix is [a-z0-9_] only, so no glob character needs escaping.
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i : i + 500])
    return len(keys)


class RedisRun:
    def __init__(self, url):
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, socket_connect_timeout=3)
        self.client.ping()  # raises when unreachable
        self.prefix = "hs_bench_optuna_" + secrets.token_hex(4)

    def spec(self):
        return {"storage": "redis", "redis_url": self.url, "redis_prefix": self.prefix}

    def cleanup(self):
        n = redis_delete_prefix(self.client, self.prefix)
        left = len(list(self.client.scan_iter(match=f"{self.prefix}:*")))
        log(f"redis: deleted {n} keys under {self.prefix}:*" + (f" ({left} LEFT)" if left else ""))


class PostgresRun:
    """A database of its own for the run, or a schema when the role cannot create databases."""

    def __init__(self, url):
        import psycopg2
        import sqlalchemy

        self.admin_url = sqlalchemy.engine.make_url(url)
        self.name = "hs_bench_" + secrets.token_hex(4)
        self.schema = None
        self.database = None
        self.psycopg2 = psycopg2
        # Connect once with the URL's own database: raises when the server is unreachable.
        conn = self._connect(self.admin_url.database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                try:
                    cur.execute(f'CREATE DATABASE "{self.name}"')
                    self.database = self.name
                except psycopg2.errors.InsufficientPrivilege:
                    cur.execute(f'CREATE SCHEMA "{self.name}"')
                    self.schema = self.name
        finally:
            conn.close()
        db = self.database or self.admin_url.database
        self.run_url = self.admin_url.set(database=db).render_as_string(hide_password=False)
        log(f"postgres: created {'database' if self.database else 'schema'} {self.name}")

    def _connect(self, database):
        u = self.admin_url
        return self.psycopg2.connect(
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=database,
            connect_timeout=3,
            **dict(u.query),
        )

    def spec(self):
        return {"storage": "postgres", "pg_run_url": self.run_url, "pg_schema": self.schema}

    def cleanup(self):
        conn = self._connect(self.admin_url.database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                if self.database:
                    # WITH (FORCE): PostgreSQL 13+; ends any connection a killed process left behind.
                    cur.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                if self.schema:
                    cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            conn.close()
        log(f"postgres: dropped {'database' if self.database else 'schema'} {self.name}")


# ------------------------------------------------------------------------------- workers
def take_ticket(tickets):
    with tickets.get_lock():
        if tickets.value <= 0:
            return False
        tickets.value -= 1
        return True


def worker(index, spec, study_name, n_trials, tickets, seed, barrier, results):
    """n_trials: this process's share (--split even); or None, and then tickets: the shared budget."""
    try:
        quiet()
        import optuna

        storage = make_storage(spec)
        sampler = optuna.samplers.TPESampler(seed=seed)
        study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)
        done = [0]

        def next_ticket(study, _trial):
            done[0] += 1
            if n_trials is None and not take_ticket(tickets):
                study.stop()

        barrier.wait()
        started = time.perf_counter()
        if n_trials is not None:
            study.optimize(objective, n_trials=n_trials, callbacks=[next_ticket])
        elif take_ticket(tickets):
            study.optimize(objective, callbacks=[next_ticket])  # until next_ticket finds none left
        finished = time.perf_counter()
        results.put({"index": index, "started": started, "finished": finished, "trials": done[0]})
    except BaseException:  # noqa: BLE001 -- reported to the parent, which fails the run
        barrier.abort()
        results.put({"index": index, "error": traceback.format_exc()})


def one_run(args, run, repetition):
    import optuna

    spec = run.spec()
    study_name = f"hs_bench_{secrets.token_hex(4)}"
    storage = make_storage(spec)  # creates Optuna's tables (postgres) before the workers start
    optuna.create_study(study_name=study_name, storage=storage, direction="minimize")
    del storage

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(args.processes + 1)
    results = ctx.Queue()
    if args.split == "even":
        quotas = [args.trials // args.processes + (1 if i < args.trials % args.processes else 0) for i in range(args.processes)]
    else:
        quotas = [None] * args.processes
    tickets = ctx.Value("l", args.trials)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    procs = [
        ctx.Process(target=worker, args=(i, spec, study_name, quotas[i], tickets, args.seed + 1000 * repetition + i, barrier, results))
        for i in range(args.processes)
    ]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=args.timeout)
        t_barrier = time.perf_counter()
        got = [results.get(timeout=args.timeout) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        t_end = time.perf_counter()
    except BaseException:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=10)
        errors = []
        while not results.empty():
            r = results.get()
            if "error" in r:
                errors.append(f"process {r['index']}: {r['error']}")
        if errors:
            raise RuntimeError("\n".join(errors)) from None
        raise
    errors = [f"process {r['index']}: {r['error']}" for r in got if "error" in r]
    if errors:
        raise RuntimeError("\n".join(errors))
    load_after = os.getloadavg()[0]

    # monotonic clocks are system-wide on Linux, so the processes' stamps compare.
    start = min(r["started"] for r in got)
    end = max(r["finished"] for r in got)
    seconds = end - start
    study = optuna.load_study(study_name=study_name, storage=make_storage(spec))
    trials = study.get_trials(deepcopy=False)
    complete = sum(1 for t in trials if t.state == optuna.trial.TrialState.COMPLETE)
    best = study.best_value if complete else None
    if args.storage == "postgres":
        optuna.delete_study(study_name=study_name, storage=make_storage(spec))
    return {
        "kind": "optuna_distributed",
        "storage": args.storage,
        "backend": "JournalStorage(JournalRedisStorage)" if args.storage == "redis" else "RDBStorage(postgresql+psycopg2)",
        "trials": args.trials,
        "processes": args.processes,
        "split": args.split,
        "repetition": repetition,
        "seconds": round(seconds, 3),
        "trials_per_s": round(args.trials / seconds, 2),
        "wall_s": round(t_end - t0, 3),
        "startup_s": round(t_barrier - t0, 3),
        # finish spread: how long the first finished process waited on the last one
        "finish_spread_s": round(end - min(r["finished"] for r in got), 3),
        "per_process": sorted(r["trials"] for r in got),
        "complete": complete,
        "in_study": len(trials),
        "best": best,
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "optuna": optuna.__version__,
        "python": sys.version.split()[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", choices=["redis", "postgres"], required=True)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh study (one JSON line each)")
    parser.add_argument(
        "--split",
        choices=["shared", "even"],
        default="shared",
        help="shared: one budget of N trials the processes draw from, one trial at a time (a process that is "
        "scheduled more runs more); even: each process runs N/P trials, optimize(n_trials=N/P)",
    )
    parser.add_argument("--seed", type=int, default=0, help="TPESampler seed of process 0 (process i: seed + i)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server and database to connect to (the run uses its own database)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the barrier / for the processes")
    args = parser.parse_args()
    if args.trials < 1 or args.processes < 1:
        parser.error("--trials and --processes must be at least 1")

    need = ["optuna", "redis" if args.storage == "redis" else "psycopg2"]
    for module in need:
        try:
            __import__(module)
        except ImportError as e:
            emit({"kind": "skipped", "storage": args.storage, "reason": f"{sys.executable} cannot import {module} ({e}); apt-get install {PACKAGES[module]}"})
            return
    quiet()

    # SIGTERM (a parent giving up on us) unwinds like Ctrl-C, so the workers stop and the cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for repetition in range(args.repeat):
        # A fresh key prefix / database per run: a later run must not replay an earlier one's journal.
        try:
            run = RedisRun(args.redis_url) if args.storage == "redis" else PostgresRun(args.pg_url)
        except Exception as e:  # noqa: BLE001 -- unreachable server: skip, as the house style does
            url = args.redis_url if args.storage == "redis" else args.pg_url
            reason = " ".join(str(e).split())[:300]
            emit({"kind": "skipped", "storage": args.storage, "reason": f"{args.storage} at {url} unreachable: {type(e).__name__}: {reason}"})
            return
        try:
            log(f"optuna {args.storage}: {args.trials} trials on {args.processes} processes (run {repetition + 1}/{args.repeat})")
            emit(one_run(args, run, repetition))
        finally:
            run.cleanup()


if __name__ == "__main__":
    main()
