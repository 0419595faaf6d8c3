"""Soak of `claude-otel proxy` under hostile and slow clients: does it keep answering legitimate requests
within its timeouts, and what do its memory and open files do? Bounded in time; one run; prints a report.

    python benchmarks/bench_proxy_soak.py [--seconds 30] [--slow 1000] [--big 8] [--header-timeout 5]

Processes on 127.0.0.1: a minimal upstream (bench_proxy.py's), the proxy started by its real CLI
(`python -m claude_otel.proxy` with the limits given here), and this load generator, which runs at once:

- ``--slow`` slowloris clients: each opens a connection and sends one byte of a request head every
  ``--trickle`` seconds, reconnecting whenever the proxy closes it (so the pressure never lets up);
- ``--big`` clients each sending ``--big-mib`` MiB request bodies back to back (the shared byte budget
  refuses what does not fit: 503 ``overloaded_error``);
- one legitimate client sending a 12 kB agent request every 100 ms on a fresh connection, honouring a
  503's ``retry-after`` as the SDKs do, and recording status and latency.

Prints the proxy's RSS and open file descriptors at the start, their peak during the attack, and at the
end (attackers stopped, a few seconds to settle), the legitimate requests' statuses and latencies, and
whether every legitimate request got an answer within ``--header-timeout`` + ``--body-timeout`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_proxy import request_body  # noqa: E402  (the benchmarks directory is not a package)


def proc_stats(pid: int) -> tuple[float, int]:
    """(RSS in MiB, open file descriptors) of a process, from /proc."""
    rss_kb = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def start_upstream() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "bench_proxy.py"), "--serve-upstream"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def start_proxy(upstream_port: int, args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    cmd = [
        sys.executable,
        "-m",
        "claude_otel.proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        f"http://127.0.0.1:{upstream_port}",
        "--header-timeout",
        str(args.header_timeout),
        "--body-timeout",
        str(args.body_timeout),
        "--max-client-connections",
        str(args.max_client_connections),
        "--max-buffered-bytes",
        str(args.max_buffered_mib * 1024 * 1024),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            return proc, m.group(1)
    raise SystemExit("the proxy did not start")


async def slow_client(port: int, trickle: float, stop: asyncio.Event, counts: dict[str, int]) -> None:
    """Send a request head one byte every ``trickle`` seconds; reconnect whenever the proxy closes us."""
    head = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + b"x-slow: " + b"a" * 10_000
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["connect_failed"] += 1
            await asyncio.sleep(trickle)
            continue
        counts["connections"] += 1
        try:
            for byte in head:
                writer.write(bytes([byte]))
                await writer.drain()
                with contextlib.suppress(asyncio.TimeoutError):
                    data = await asyncio.wait_for(reader.read(65536), trickle)
                    if not data:  # closed by the proxy
                        counts["closed_by_proxy"] += 1
                        break
                    if data.startswith(b"HTTP/1.1 503"):
                        counts["refused_503"] += 1
                        break
                if stop.is_set():
                    break
        except OSError:
            counts["closed_by_proxy"] += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def big_client(base: str, mib: int, stop: asyncio.Event, counts: dict[str, int]) -> None:
    body = b"{" + b" " * (mib * 1024 * 1024 - 2) + b"}"
    async with httpx.AsyncClient(timeout=120) as client:
        while not stop.is_set():
            try:
                resp = await client.post(base + "/v1/messages", content=body)
                counts[f"big_{resp.status_code}"] = counts.get(f"big_{resp.status_code}", 0) + 1
            except httpx.HTTPError:
                counts["big_error"] = counts.get("big_error", 0) + 1
                await asyncio.sleep(0.5)


def legit_client(base: str, body: bytes, stop: threading.Event, deadline: float, out: list) -> None:
    """Fresh connection per request (what a new client sees), retry-after honoured on 503."""
    headers = {"content-type": "application/json", "user-agent": "Anthropic/Python 2.10.0", "x-api-key": "k"}
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            with httpx.Client(timeout=deadline) as client:
                resp = client.post(base + "/v1/messages", content=body, headers=headers)
            out.append((resp.status_code, time.perf_counter() - t0))
            if resp.status_code == 503:
                stop.wait(float(resp.headers.get("retry-after", "1")))
                continue
        except httpx.HTTPError as exc:
            out.append((type(exc).__name__, time.perf_counter() - t0))
        stop.wait(0.1)


async def attack(args: argparse.Namespace, port: int, base: str, counts: dict[str, int]) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(slow_client(port, args.trickle, stop, counts)) for _ in range(args.slow)]
    tasks += [asyncio.ensure_future(big_client(base, args.big_mib, stop, counts)) for _ in range(args.big)]
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=args.trickle + 5)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=30.0, help="length of the attack")
    p.add_argument("--slow", type=int, default=1000, help="slow-header clients")
    p.add_argument("--trickle", type=float, default=1.0, help="seconds between a slow client's bytes")
    p.add_argument("--big", type=int, default=8, help="clients sending big bodies back to back")
    p.add_argument("--big-mib", type=int, default=32, help="size of each big body, MiB")
    p.add_argument("--header-timeout", type=float, default=5.0)
    p.add_argument("--body-timeout", type=float, default=10.0)
    p.add_argument("--max-client-connections", type=int, default=1024)
    p.add_argument("--max-buffered-mib", type=int, default=256)
    args = p.parse_args()

    upstream, upstream_port = start_upstream()
    proxy, base = start_proxy(upstream_port, args)
    port = int(base.rsplit(":", 1)[1])
    try:
        time.sleep(0.5)
        rss0, fds0 = proc_stats(proxy.pid)
        peak = [rss0, fds0]
        stop_sampling = threading.Event()

        def sample() -> None:
            while not stop_sampling.wait(0.2):
                with contextlib.suppress(OSError):
                    rss, fds = proc_stats(proxy.pid)
                    peak[0], peak[1] = max(peak[0], rss), max(peak[1], fds)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        legit: list = []
        stop_legit = threading.Event()
        deadline = args.header_timeout + args.body_timeout
        client = threading.Thread(
            target=legit_client, args=(base, request_body(), stop_legit, deadline, legit), daemon=True
        )
        counts = {"connections": 0, "closed_by_proxy": 0, "refused_503": 0, "connect_failed": 0}
        client.start()
        t0 = time.perf_counter()
        asyncio.run(attack(args, port, base, counts))
        attack_s = time.perf_counter() - t0
        stop_legit.set()
        client.join(deadline + 5)
        time.sleep(3)  # settle: the slow connections' deadlines pass, buffers are given back
        stop_sampling.set()
        sampler.join()
        rss1, fds1 = proc_stats(proxy.pid)
        alive = proxy.poll() is None
    finally:
        for proc in (proxy, upstream):
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)

    ok = [t for s, t in legit if s == 200]
    refused = [t for s, t in legit if s == 503]
    failed = [(s, t) for s, t in legit if s not in (200, 503)]
    slowest = max((t for _, t in legit), default=0.0)
    print(
        f"claude-otel proxy soak: {attack_s:.0f} s attack, {args.slow} slow-header clients (a byte every "
        f"{args.trickle:g} s), {args.big} clients sending {args.big_mib} MiB bodies"
    )
    print(
        f"limits: --header-timeout {args.header_timeout:g} --body-timeout {args.body_timeout:g} "
        f"--max-client-connections {args.max_client_connections} "
        f"--max-buffered-bytes {args.max_buffered_mib} MiB"
    )
    print(f"{'':14}{'RSS MiB':>10}{'open fds':>10}")
    print(f"{'start':14}{rss0:>10.0f}{fds0:>10}")
    print(f"{'peak':14}{peak[0]:>10.0f}{peak[1]:>10}")
    print(f"{'end':14}{rss1:>10.0f}{fds1:>10}")
    print(
        f"slow clients: {counts['connections']} connections, "
        f"{counts['closed_by_proxy']} closed by the proxy, "
        f"{counts['refused_503']} refused 503, {counts['connect_failed']} connects failed"
    )
    big = {k: v for k, v in counts.items() if k.startswith("big_")}
    print(f"big-body clients: {big}")

    def ms(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * (len(values) - 1)))] * 1000 if values else 0.0

    print(
        f"legitimate requests: {len(legit)} sent, {len(ok)} answered 200 (p50 {ms(ok, 0.5):.1f} ms, "
        f"p99 {ms(ok, 0.99):.1f} ms), {len(refused)} refused 503 (retried after retry-after), "
        f"{len(failed)} failed {sorted({str(s) for s, _ in failed})}"
    )
    within = not failed and slowest <= deadline
    print(
        f"every legitimate request answered within the timeouts ({deadline:g} s): "
        f"{'yes' if within else 'NO'} (slowest {slowest:.2f} s); "
        f"proxy still running: {'yes' if alive else 'NO'}"
    )
    return 0 if within and alive else 1


if __name__ == "__main__":
    sys.exit(main())
