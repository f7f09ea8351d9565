"""Helpers for benchmarks that need the whole stack: a throwaway database, and
Daphne, a Celery worker and Celery beat as child processes.

Used by bench/pod_startup.py and bench/scheduler.py. Nothing here prints to
stdout: progress goes to stderr, so a benchmark's stdout holds only its BENCH
lines.

- ensure_services(): Redis (and PostgreSQL) answer, via scripts/ensure-*.sh.
- throwaway_database(label): a context manager; creates an empty PostgreSQL
  database, migrates it (`manage.py migrate`), yields its URL, drops it.
- bench_environment(database_url, tag): the environment for the stack and for
  the benchmark process itself: DATABASE_URL, a Celery queue and a Channels
  prefix of its own (PODLAB_TASK_QUEUE, PODLAB_CHANNEL_PREFIX), PYTHONPATH.
- setup_django(env): put env into os.environ and django.setup() this process.
- Stack(env, logs): a context manager; starts worker, beat and web (Procfile's
  commands), waits until each is ready, samples each process tree's RSS every
  0.2 s from /proc, and stops them on exit. stack.peak_rss_mib("worker").
- cleanup_redis(tag): delete this run's queue, locks and Channels keys.
- Viewer: a browser stand-in: a websocket on the sandbox's live channel.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.2
RECONNECT_DELAYS = (0.5, 1, 2, 4, 8)  # seconds, as the page's LiveSocket


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.3f} {unit}", flush=True)


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank on the sorted samples, as bench/store.py does."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


_cpu_times_at_last_note: list[int] | None = None


def log_conditions(what: str) -> None:
    """The commit measured and how busy the machine is: figures depend on both.

    On a virtual machine, the share of CPU time the hypervisor gave to others
    since the previous note (the steal column of /proc/stat) says how much a
    noisy neighbour slowed the run down.
    """
    global _cpu_times_at_last_note
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    note = f"{what}: commit {head or '?'}, {os.cpu_count()} CPUs, load average {load}"
    now = _cpu_times()
    if _cpu_times_at_last_note and now:
        spent = [after - before for before, after in zip(_cpu_times_at_last_note, now, strict=True)]
        stolen = spent[7] if len(spent) > 7 else 0
        note += f", {100 * stolen / max(sum(spent), 1):.0f}% of CPU time stolen since the last note"
    _cpu_times_at_last_note = now
    log(note)


def _cpu_times() -> list[int]:
    """The machine's CPU time so far, per kind (user, nice, system, idle, ..., steal)."""
    try:
        with open("/proc/stat") as stat:
            return [int(ticks) for ticks in stat.readline().split()[1:]]
    except OSError:
        return []


def wait_for(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.05, what: str = ""
):
    """Poll until condition() is truthy and return it; TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if value := condition():
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what or condition}")
        time.sleep(interval)


# -- services and the throwaway database -------------------------------------------


def ensure_services() -> None:
    quiet = {"cwd": ROOT, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run(["bash", "scripts/ensure-redis.sh"], **quiet)
    env = {**os.environ, "DATABASE_URL": f"{POSTGRES_SERVER}/postgres"}
    subprocess.run(["bash", "scripts/ensure-postgres.sh"], env=env, **quiet)


def _psql(sql: str) -> None:
    env = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}  # no NOTICEs
    subprocess.run(["psql", f"{POSTGRES_SERVER}/postgres", "-qc", sql], env=env, check=True)


def run_bench(
    name: str, run: Callable[[dict[str, str], Path], None], *, database: str = ""
) -> None:
    """A bench's main: Redis and PostgreSQL answering, a throwaway database and Redis
    names of its own, run(env, logs), then the database and the Redis names removed.
    BENCH_LOGS=<dir> keeps the stack's logs there instead of a temporary directory."""
    ensure_services()
    log_conditions(f"{name} starts")
    tag = f"podlab-bench-{database or name}-{os.getpid()}"
    try:
        with tempfile.TemporaryDirectory() as tmp, throwaway_database(database or name) as url:
            run(bench_environment(url, tag), Path(os.environ.get("BENCH_LOGS") or tmp))
    finally:
        cleanup_redis(tag)
    log_conditions(f"{name} ends")


@contextmanager
def throwaway_database(label: str) -> Iterator[str]:
    """An empty, migrated PostgreSQL database for this run; dropped afterwards."""
    name = f"podlab_bench_{label}_{os.getpid()}"
    url = f"{POSTGRES_SERVER}/{name}"
    _psql(f"DROP DATABASE IF EXISTS {name}")
    _psql(f"CREATE DATABASE {name}")
    try:
        log(f"migrating {name}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity=0", "--skip-checks"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            check=True,
        )
        yield url
    finally:
        _close_django_connections()
        # FORCE: a process that died without closing its connection must not keep it alive.
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


BENCH_MAX_OBJECTS = "1000000"


def bench_environment(database_url: str, tag: str) -> dict[str, str]:
    """tag names this run's Celery queue and Channels prefix on the shared Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PODLAB_TASK_QUEUE": tag,
        "PODLAB_CHANNEL_PREFIX": tag,
        "PODLAB_CACHE_PREFIX": f"{tag}:cache",
        # A benchmark's crowd (50 viewers of one page) is one user: not what the per-user
        # limits are for.
        "PODLAB_RATE_LIMITS": "0",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        # The benchmarks measure clusters of thousands of objects (1,000 nodes, 5,000
        # pods), past a classroom's quota per sandbox.
        "PODLAB_MAX_OBJECTS_PER_SANDBOX": BENCH_MAX_OBJECTS,
    }


def setup_django(env: dict[str, str]) -> None:
    """Configure this process like the stack's (same database, queue, prefix)."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def cleanup_redis(tag: str) -> None:
    """Remove what this run left in Redis: only keys named after its own tag."""
    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    keys = [tag, *client.scan_iter(f"{tag}:*"), *client.scan_iter(f"_kombu.*.{tag}")]
    client.delete(*keys)


def queue_census(tag: str) -> str:
    """What waits in this run's Celery queue: ticks by component kind, other tasks by name."""
    import json
    from collections import Counter

    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    kinds: Counter[str] = Counter()
    # The queue's list, and one per priority step above 0 ("<queue>:<step>", settings.py).
    lists = [tag, *(f"{tag}:{step}" for step in (3, 6, 9))]
    for raw in (raw for name in lists for raw in client.lrange(name, 0, -1)):
        try:
            headers = json.loads(raw)["headers"]
        except (ValueError, KeyError, TypeError):
            kinds["?"] += 1
            continue
        task = headers.get("task", "?").rsplit(".", 1)[-1]
        if task == "tick":  # argsrepr: "(1, 'kubelet/node-7')"
            component = (headers.get("argsrepr") or "").split("'")[1:2]
            task = f"tick {component[0].partition('/')[0] if component else '?'}"
        kinds[task] += 1
    total = sum(kinds.values())
    return f"queue {total}" + (
        f" ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})" if total else ""
    )


# -- memory: RSS of a process and its descendants, from /proc ---------------------


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = stat[stat.rindex(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_ticks(pid: int) -> int:
    """utime + stime of pid, plus cutime + cstime: the children it has already reaped."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rindex(b")") + 2 :].split()
    return sum(int(x) for x in fields[11:15])


def tree_cpu_seconds(pid: int, parents: dict[int, int] | None = None) -> float:
    """CPU time used so far by pid and its descendants, living or reaped."""
    parents = _parents() if parents is None else parents
    return sum(_cpu_ticks(p) for p in _descendants(pid, parents)) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int, parents: dict[int, int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def service_roots(name: str) -> list[int]:
    """Top processes of a service by command name (postgres, redis-server)."""
    parents = _parents()
    named = {pid for pid in parents if _comm(pid) == name}
    return [pid for pid in named if parents[pid] not in named]


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def tree_rss_bytes(pid: int, parents: dict[int, int] | None = None) -> int:
    """RSS of pid plus all its descendants. Pages a prefork child shares with its
    parent (copy-on-write) count in both: this is the sum of RSS, not PSS."""
    parents = _parents() if parents is None else parents
    return sum(_rss_bytes(p) for p in _descendants(pid, parents))


class RssSampler:
    """Samples the RSS of named process trees every 0.2 s; keeps each one's peak."""

    def __init__(self) -> None:
        self.pids: dict[str, int] = {}
        self.peaks: dict[str, int] = {}
        self.process_peaks: dict[str, dict[int, int]] = {}  # name -> pid -> peak RSS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def watch(self, name: str, pid: int) -> None:
        self.pids[name] = pid
        self.peaks.setdefault(name, 0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join()

    def sample(self) -> None:
        parents = _parents()
        for name, pid in list(self.pids.items()):
            sizes = {p: _rss_bytes(p) for p in _descendants(pid, parents)}
            self.peaks[name] = max(self.peaks[name], sum(sizes.values()))
            peaks = self.process_peaks.setdefault(name, {})
            for p, size in sizes.items():
                peaks[p] = max(peaks.get(p, 0), size)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_SECONDS)


# -- the stack: worker, beat, web ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Stack:
    """Procfile's three processes on this run's database, queue and prefix.

    with Stack(env, logs=tmpdir) as stack: ... ; then stack.peak_rss_mib(name)
    for "web", "worker" (the main process and its prefork children) and "beat".
    """

    def __init__(
        self, env: dict[str, str], logs: Path, *, concurrency: int = 2, start_timeout: float = 60
    ):
        self.env = env
        self.logs = Path(logs)
        self.concurrency = concurrency
        self.start_timeout = start_timeout
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.sampler = RssSampler()
        self.cpu_seconds: dict[str, float] = {}  # filled in by stop()
        self._cpu_at_start: dict[str, float] = {}

    def commands(self) -> dict[str, list[str]]:
        celery = str(VENV_BIN / "celery")
        tag = self.env["PODLAB_TASK_QUEUE"]
        return {
            "worker": [
                celery, "-A", "sandbox", "worker", "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                # Its own node name, and no chatter with a developer's workers on this Redis.
                "--hostname", f"{tag}@%h", "--without-mingle", "--without-gossip",
            ],
            "beat": [
                celery, "-A", "sandbox", "beat", "--loglevel=INFO",
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
            ],
            "web": [
                str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
                "sandbox.asgi:application",
            ],
        }  # fmt: skip

    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _ready(self, name: str) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise RuntimeError(
                f"{name} exited with {process.returncode}:\n{self.log_text(name)[-3000:]}"
            )
        if name == "worker":
            return " ready." in self.log_text(name)
        if name == "beat":
            return "beat: Starting..." in self.log_text(name)
        return port_answers(self.port)

    def _cpu_now(self) -> dict[str, float]:
        """CPU seconds so far: the stack's processes, this process, and the shared services
        (machine-wide: whatever else uses PostgreSQL or Redis meanwhile counts too)."""
        parents = _parents()
        cpu = {name: tree_cpu_seconds(p.pid, parents) for name, p in self.processes.items()}
        own = os.times()  # this process alone: the stack's processes are its children
        cpu["benchmark"] = own.user + own.system
        for service in ("postgres", "redis-server"):
            cpu[service] = sum(tree_cpu_seconds(p, parents) for p in service_roots(service))
        return cpu

    def start(self) -> Stack:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._cpu_at_start = self._cpu_now()
        self._wall_at_start = time.monotonic()
        for name, args in self.commands().items():
            with (self.logs / f"{name}.log").open("w") as out:
                # A session of its own: on stop, what is left of its tree goes with it.
                self.processes[name] = subprocess.Popen(
                    args,
                    cwd=ROOT,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.sampler.watch(name, self.processes[name].pid)
        self.sampler.start()
        started = time.monotonic()
        for name in self.processes:
            wait_for(lambda n=name: self._ready(n), timeout=self.start_timeout, what=name)
        log(
            f"stack ready in {time.monotonic() - started:.1f}s: web on 127.0.0.1:{self.port},"
            f" worker (concurrency {self.concurrency}), beat; logs in {self.logs}"
        )
        return self

    def stop(self) -> None:
        self.sampler.sample()
        self.sampler.stop()
        if self._cpu_at_start:
            now = self._cpu_now()
            self.cpu_seconds = {name: now[name] - self._cpu_at_start.get(name, 0.0) for name in now}
            self.wall_seconds = time.monotonic() - self._wall_at_start
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in 20s; killing its process group")
            # Leftovers of its tree (prefork children), by its own process group id.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def peak_rss_mib(self, name: str) -> float:
        return self.sampler.peaks[name] / (1024 * 1024)

    def report(self) -> None:
        """Log CPU seconds per process (while the stack ran) and per-process peak RSS."""
        if self.cpu_seconds:
            cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in self.cpu_seconds.items())
            log(f"CPU seconds over {self.wall_seconds:.1f}s of wall time: {cpu}")
        for name, peaks in self.sampler.process_peaks.items():
            ordered = sorted(peaks.values(), reverse=True)
            sizes = ", ".join(f"{size / 2**20:.0f}" for size in ordered)
            log(
                f"peak RSS of {name}: {self.peak_rss_mib(name):.0f} MiB in all"
                f" (per process, MiB: {sizes})"
            )
        log(worker_log_summary(self.log_text("worker")))

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def worker_log_summary(text: str) -> str:
    """What the worker's INFO log says about its tasks."""
    durations = [
        float(line.rsplit(" succeeded in ", 1)[1].split("s:", 1)[0])
        for line in text.splitlines()
        if " succeeded in " in line
    ]
    busy = sum(durations)
    longest = max(durations, default=0.0)
    return (
        f"worker: {len(durations)} tasks ran for {busy:.1f}s in all (longest {longest:.1f}s);"
        f" {text.count('Discarding revoked task')} expired ticks discarded unrun;"
        f" {text.count('outlived its lock')} ticks outlived their lock;"
        f" {text.count('ERROR/')} errors"
    )


# -- a browser stand-in ----------------------------------------------------------------


class Viewer:
    """A logged-in browser watching the sandbox's live channel through Daphne.

    It makes the web process do its real job (a snapshot, then every batch of
    changes forwarded), so its memory figure is not that of an idle server.
    When the server drops the socket it reconnects after 0.5 s, as the page
    does (and gets a fresh snapshot). Counts messages, changes and reconnects.
    """

    def __init__(self, stack: Stack, sandbox, user) -> None:
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        self.url = f"ws://127.0.0.1:{stack.port}/ws/sandboxes/{sandbox.pk}/"
        self.origin = f"http://127.0.0.1:{stack.port}"
        self.messages = 0
        self.changes = 0
        self.snapshots = 0
        self.reconnects = 0
        self.ready = threading.Event()
        self.error: dict | None = None
        self._stopping = threading.Event()
        self._ws = None
        self._thread = threading.Thread(target=self._run, name="viewer", daemon=True)

    def start(self, timeout: float = 10) -> Viewer:
        self._connect(timeout)
        self._thread.start()
        if not self.ready.wait(timeout):
            raise TimeoutError(f"the viewer's websocket sent nothing in {timeout:g}s")
        if self.error:
            raise RuntimeError(f"the viewer's websocket refused: {self.error}")
        return self

    def _connect(self, timeout: float = 10) -> None:
        import websocket

        self._ws = websocket.create_connection(
            self.url, cookie=self.cookie, origin=self.origin, timeout=timeout
        )
        self._ws.settimeout(None)

    def _run(self) -> None:
        import json

        import websocket

        failures = 0
        while not self._stopping.is_set():
            try:
                raw = self._ws.recv()
            except (websocket.WebSocketException, OSError):
                raw = None
            if not raw:
                # The server closed the socket: reconnect as static/js/podlab/socket.js
                # does, after 0.5 s, doubling up to 8 s while attempts fail.
                failures += 1
                if self._stopping.wait(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS)) - 1]):
                    return
                try:
                    self._connect()
                except (websocket.WebSocketException, OSError):
                    continue
                failures = 0
                self.reconnects += 1
                continue
            message = json.loads(raw)
            self.messages += 1
            kind = message.get("type")
            if kind == "changes":
                self.changes += len(message.get("events") or ())
            elif kind == "error":
                self.error = message
                self.ready.set()
                return
            else:  # a "snapshot" (or, in older code, a "hello"): the first message
                self.snapshots += kind == "snapshot"
                self.ready.set()

    def summary(self) -> str:
        return (
            f"the viewer received {self.messages} messages ({self.changes} changes,"
            f" {self.snapshots} snapshots) and had to reconnect {self.reconnects} times"
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._ws is not None:
            with suppress(Exception):  # the server may have closed it already
                self._ws.close()
            self._thread.join(timeout=5)
