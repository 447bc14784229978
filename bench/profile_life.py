"""Where the CPU goes through an order's life: the lifecycle mix of bench/faults.py (two `serve`, two `worker`,
shoppers, store tablets shipping, an integration, subscribers, a webhook sink; no kills), each oms-graph
process sampled by py-spy while the load runs, printed as tables. Run on demand (needs `pip install py-spy`):

    .venv/bin/python bench/profile_life.py [--seconds 45] [--shoppers 12] [--subscribers 4]

1. Per process kind: CPU seconds over the load (from /proc), and per accepted order; PostgreSQL's processes
   too, and the transactions it committed per order.
2. Per operation: the CPU inside each GraphQL resolver, actor, and background loop (the outermost
   oms-graph frame of the API, task or event layer on the stack); "outside" is what no such frame is under
   (HTTP and GraphQL parsing, serialising answers, the event loop), with calls and ms per call where the
   clients counted calls. SQLAlchemy's async API works in greenlets whose stacks do not show their caller:
   that work is listed by its entry point (Session.execute, commit, ...), not by operation.
3. Per layer: where the sampled CPU sits, by the innermost frame's package (GraphQL framework, SQLAlchemy,
   the PostgreSQL driver, HTTP server, broker, our code, asyncio, the rest).
Samples are of the thread holding the GIL (py-spy --gil: Python at work, not waiting), 100 a second, read
without stopping the processes (--nonblocking). Their counts over-run the CPU /proc reports (about twice,
seen here), so tables 2 and 3 spread each kind's /proc CPU by the samples' shares: estimates, good for
ranking and for before/after, not to the millisecond.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import faults as life  # noqa: E402

RATE = 100  # samples a second
TICKS = os.sysconf("SC_CLK_TCK")
LAYERS = [  # (layer, path parts of the innermost frame), first match wins
    ("GraphQL (strawberry, graphql-core)", ("/strawberry/", "/graphql/")),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("PostgreSQL driver (asyncpg)", ("/asyncpg/",)),
    ("HTTP and WebSocket server", ("/uvicorn/", "/starlette/", "/h11/", "/httptools/", "/websockets/", "/wsproto/")),
    ("broker (dramatiq, redis)", ("/dramatiq/", "/redis/", "/pika/")),
    ("oms-graph", ("/oms_graph/",)),
    ("asyncio", ("/asyncio/",)),
]
OPERATION_LAYERS = ("/oms_graph/api/", "/oms_graph/tasks/", "/oms_graph/events/")
PLUMBING = {  # around every resolver or actor: the API's middleware, view and extensions; the broker's glue
    *("api/limits.py", "api/view.py", "api/cost.py", "api/errors.py", "api/context.py", "api/node.py"),
    *("api/schema.py", "tasks/runtime.py", "tasks/broker.py", "tasks/context.py"),
}


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # in the venv, which need not be on PATH
    return str(beside) if beside.exists() else shutil.which("py-spy")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_cpu() -> dict[int, float]:
    """User and system CPU so far of each PostgreSQL process on the machine (server, backends, workers)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                found[int(entry.name)] = cpu_seconds(int(entry.name))
        except OSError:  # it ended while being read
            continue
    return found


def postgres_cpu_since(before: dict[int, float]) -> float:
    """PostgreSQL's CPU since `before` (postgres_cpu()): of the processes alive now; a backend that ended in
    between takes its share with it (an undercount, never a negative)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in postgres_cpu().items())


async def commits(url: str) -> int:
    """Transactions committed in the cluster's database so far (pg_stat_database)."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(
            await connection.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        )
    finally:
        await connection.close()


def frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) of each frame of a py-spy raw stack, outermost first."""
    found = []
    for frame in filter(None, stack.split(";")):
        name, _, where = frame.partition(" (")
        found.append((name.strip(), "/" + where.rsplit(":", 1)[0]))  # paths as py-spy shows them: relative
    return found


ROOTS = ("_run_module_as_main", "Thread._bootstrap", "<module>")


def operation(stack: list[tuple[str, str]]) -> str:
    """The outermost frame of the API, task or event layer that is not plumbing: the resolver, actor or loop.
    SQLAlchemy's async API runs its work in greenlets, whose stacks start there: their caller is not seen."""
    if not stack:
        return "no Python frame"
    if stack[0][0] not in ROOTS:
        return f"greenlet: {stack[0][0]} (SQLAlchemy, caller unseen)"
    for name, where in stack:
        if any(part in where for part in OPERATION_LAYERS) and where.split("/oms_graph/")[1] not in PLUMBING:
            return f"{where.split('/oms_graph/')[1]}:{name}"
    return "outside (HTTP, GraphQL parsing and answers, event loop)"


def layer(stack: list[tuple[str, str]]) -> str:
    where = stack[-1][1] if stack else ""
    return next((name for name, parts in LAYERS if any(p in where for p in parts)), "the rest (stdlib, json, ...)")


class Sampler:
    """py-spy on every oms-graph process for the length of the load; their CPU from /proc around it."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.spies, self.cpu = folder, [], {}
        self.commits = 0  # transactions the database committed during the load

    def start(self, cluster: life.Cluster, seconds: float) -> None:
        processes = [("api", p) for p in cluster.apis] + [("worker", p) for p in cluster.workers]
        for n, (kind, process) in enumerate(processes):
            assert process is not None
            out = self.folder / f"{kind}-{n}.txt"
            spy = subprocess.Popen(
                [py_spy() or "py-spy", "record", "--pid", str(process.pid), "--rate", str(RATE)]
                + ["--duration", str(int(seconds)), "--format", "raw", "--gil", "--nonblocking", "--output", str(out)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.spies.append((kind, out, spy))
            self.cpu[(kind, process.pid)] = cpu_seconds(process.pid)

    def stop(self, cluster: life.Cluster) -> None:
        for kind, process in [("api", p) for p in cluster.apis] + [("worker", p) for p in cluster.workers]:
            assert process is not None
            self.cpu[(kind, process.pid)] = cpu_seconds(process.pid) - self.cpu[(kind, process.pid)]
        for _, _, spy in self.spies:
            spy.wait(timeout=60)

    def samples(self) -> list[tuple[str, list[tuple[str, str]], int]]:
        found = []
        for kind, out, _ in self.spies:
            for line in out.read_text().splitlines() if out.exists() else []:
                stack, _, count = line.rpartition(" ")
                if count.isdigit():  # a frame's text can hold a line break: its tail is not a stack
                    found.append((kind, frames(stack), int(count)))
        return found


async def profiled(plan: life.Plan, folder: Path, sampler: Sampler) -> life.Report:
    """The lifecycle run, with the sampler started as the load starts and stopped as it ends."""

    async def load_phase(cluster: life.Cluster, plan: life.Plan, stop: asyncio.Event, done: list[str]) -> None:
        url = cluster.env["OMS_DATABASE_URL"]
        sampler.start(cluster, plan.seconds)
        database, sampler.commits = postgres_cpu(), await commits(url)
        await stop.wait()
        sampler.stop(cluster)
        sampler.cpu[("postgres", 0)] = postgres_cpu_since(database)
        sampler.commits = await commits(url) - sampler.commits

    life.faults = load_phase  # type: ignore[assignment]
    return await life.run(plan, folder)


def print_table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        pairs = enumerate(zip(row, widths, strict=True))
        print(" | ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in pairs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--shoppers", type=int, default=12)
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--tablets", type=int, default=1, help="tablets per shipping location")
    args = parser.parse_args()
    if py_spy() is None:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    folder = Path(tempfile.mkdtemp(prefix="oms-profile-"))
    plan = life.Plan(args.seconds, 0, False, args.shoppers, args.subscribers, tablets=args.tablets)
    sampler = Sampler(folder)
    report = asyncio.run(profiled(plan, folder, sampler))
    orders = max(1, report.accepted)

    by_kind: Counter[str] = Counter()
    for (kind, _), seconds in sampler.cpu.items():
        by_kind[kind] += seconds

    def label(kind: str) -> str:
        if kind == "postgres":
            return "PostgreSQL (all its processes)"
        return f"{kind} processes ({sum(1 for k, _ in sampler.cpu if k == kind)})"

    rows = [(label(kind), f"{s:.1f}", f"{s * 1000 / orders:.1f}") for kind, s in sorted(by_kind.items())]
    total = sum(seconds for kind, seconds in by_kind.items() if kind != "postgres")
    rows.append(("all oms-graph processes", f"{total:.1f}", f"{total * 1000 / orders:.1f}"))
    rows.append(("(PostgreSQL commits per order)", "", f"{sampler.commits / orders:.1f}"))
    print(
        f"{report.accepted} orders accepted in {report.seconds:.0f} s ({report.accepted / report.seconds:.1f}/s), "
        f"{report.shipped} carried to SHIPPED ({report.shipped / report.seconds:.1f}/s) by {args.tablets} tablet(s) "
        "per location"
    )
    print_table("CPU by process kind", ("processes", "CPU s", "CPU ms per order"), rows)

    # Shares from the samples, totals from /proc: a kind's sampled shares of its processes' CPU.
    samples = sampler.samples()
    per_operation: dict[tuple[str, str], int] = defaultdict(int)
    per_layer: dict[tuple[str, str], int] = defaultdict(int)
    of_kind: Counter[str] = Counter()
    for kind, stack, count in samples:
        per_operation[(kind, operation(stack))] += count
        per_layer[(kind, layer(stack))] += count
        of_kind[kind] += count

    def cpu(kind: str, count: int) -> float:
        return by_kind[kind] * count / max(1, of_kind[kind])

    calls = {name: len(times) for name, times in report.stats.latencies.items()}
    rows = []
    for (kind, name), count in sorted(per_operation.items(), key=lambda item: -cpu(item[0][0], item[1]))[:30]:
        resolver = name.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        known = next((n for op, n in calls.items() if op.lower() == resolver.replace("_", "").lower()), None)
        seconds = cpu(kind, count)
        rows.append(
            (
                f"{kind}: {name}",
                f"{seconds:.2f}",
                f"{seconds * 1000 / orders:.2f}",
                str(known or ""),
                f"{seconds * 1000 / known:.2f}" if known else "",
            )
        )
    header = ("operation", "CPU s", "ms per order", "calls", "ms per call")
    print_table("CPU by operation (sampled shares of each kind's CPU)", header, rows)
    rows = [
        (f"{kind}: {name}", f"{cpu(kind, count):.2f}", f"{cpu(kind, count) * 1000 / orders:.2f}")
        for (kind, name), count in sorted(per_layer.items(), key=lambda item: -cpu(item[0][0], item[1]))
    ]
    print_table("CPU by layer (innermost frame)", ("layer", "CPU s", "ms per order"), rows)
    failed = [name for name, problems in report.checks.items() if problems]
    print(f"\nchecks: {'all passed' if not failed else 'FAILED: ' + ', '.join(failed)}; samples in {folder}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
