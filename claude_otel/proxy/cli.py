"""``claude-otel proxy``: the observing reverse proxy in front of the Messages API."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

DEFAULT_LISTEN = "127.0.0.1:8787"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help="address to serve on (default %(default)s)",
    )
    parser.add_argument(
        "--upstream",
        default="https://api.anthropic.com",
        metavar="URL",
        help="where requests are forwarded (default %(default)s)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="N",
        help="also serve Prometheus /metrics on this port (0 picks a free one)",
    )
    parser.add_argument(
        "--metrics-path",
        default="/_claude-otel/metrics",
        metavar="PATH",
        help="reserved path on the proxy port for the metrics page ('' to turn it off)",
    )
    parser.add_argument(
        "--guard",
        action="store_true",
        help="answer 400 locally, without forwarding, when a request is predicted to fail",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="rewrite requests predicted to fail only by fixable tool_result shapes (see README)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="upstream connect timeout (default 10)",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="longest wait for the upstream's next bytes, then 504 (default 600)",
    )
    parser.add_argument("--access-log", action="store_true", help="log one line per request (method, path)")
    limits = parser.add_argument_group(
        "limits (the proxy is a network service: every client byte is hostile)"
    )
    limits.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="a request head must be complete this long after its first byte, else the connection is "
        "closed (default 10)",
    )
    limits.add_argument(
        "--body-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="longest pause while a request body arrives, then the connection is closed (default 30)",
    )
    limits.add_argument(
        "--max-client-connections",
        type=int,
        default=1024,
        metavar="N",
        help="open client connections; beyond, 503 overloaded_error + retry-after (default 1024)",
    )
    limits.add_argument(
        "--max-request-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="B",
        help="largest request body, else 413 (before reading it when declared) (default 64 MiB)",
    )
    limits.add_argument(
        "--max-buffered-bytes",
        type=int,
        default=256 * 1024 * 1024,
        metavar="B",
        help="request bodies held at once, all requests together; beyond, 503 (default 256 MiB)",
    )
    limits.add_argument(
        "--max-header-bytes",
        type=int,
        default=64 * 1024,
        metavar="B",
        help="largest request head (request line and headers), else 400/431 (default 64 KiB)",
    )
    from claude_otel.incidents.options import add_store_arguments

    add_store_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from claude_otel.proxy.app import ProxyConfig
    from claude_otel.proxy.factory import create_proxy
    from claude_otel.proxy.server import bind_socket, parse_listen, uvicorn_config
    from claude_otel.proxy.telemetry import otlp_from_env

    try:
        host, port = parse_listen(args.listen)
        config = ProxyConfig(
            upstream=args.upstream,
            connect_timeout=args.connect_timeout,
            read_timeout=args.read_timeout,
            metrics_path=args.metrics_path or None,
            guard=args.guard,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            max_client_connections=args.max_client_connections,
            max_request_bytes=args.max_request_bytes,
            max_buffered_bytes=args.max_buffered_bytes,
            max_header_bytes=args.max_header_bytes,
            repair=args.repair,
        )
        if args.metrics_port is not None and not 0 <= args.metrics_port <= 65535:
            raise ValueError(f"--metrics-port must be 0..65535, got {args.metrics_port}")
    except ValueError as exc:
        print(f"claude-otel proxy: {exc}", file=sys.stderr)
        return 2

    notice = raise_fd_limit(config.max_client_connections + config.max_client_connections // 8 + 16)
    if notice:
        print(f"claude-otel proxy: {notice}", file=sys.stderr)
    otlp = otlp_from_env()
    if otlp.notice:
        print(f"claude-otel proxy: {otlp.notice}", file=sys.stderr)
    from claude_otel.incidents.options import store_path
    from claude_otel.incidents.otlp import logger_provider_from_env

    incidents = store_path(args)
    logs, logs_notice = logger_provider_from_env()
    if logs_notice:
        print(f"claude-otel proxy: {logs_notice}", file=sys.stderr)
    proxy = create_proxy(
        config, tracer_provider=otlp.tracer_provider, incidents_path=incidents, logger_provider=logs
    )
    if proxy.instrumentation.notice:
        print(f"claude-otel proxy: {proxy.instrumentation.notice}", file=sys.stderr)
    if config.guard and not proxy.instrumentation.active:
        print(
            "claude-otel proxy: --guard needs the claude-otel instrumentation; not starting", file=sys.stderr
        )
        otlp.shutdown()
        return 1

    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        print(f"claude-otel proxy: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    base = f"http://{shown}:{bound_port}"

    metrics_server = None
    if args.metrics_port is not None:
        from claude_otel.incidents.page import start_metrics_server  # /metrics and the /incidents page

        try:
            metrics_server, _ = start_metrics_server(args.metrics_port, addr=host, registry=proxy.registry)
        except OSError as exc:
            print(
                f"claude-otel proxy: cannot serve metrics on port {args.metrics_port}: {exc}", file=sys.stderr
            )
            sock.close()
            return 1
        mport = metrics_server.server_port
        print(f"claude-otel proxy: metrics on http://{shown}:{mport}/metrics", flush=True)
        print(f"claude-otel proxy: incidents page on http://{shown}:{mport}/incidents", flush=True)
    if config.metrics_path:
        print(f"claude-otel proxy: metrics on {base}{config.metrics_path}", flush=True)
    if incidents and proxy.instrumentation.active:
        print(f"claude-otel proxy: incidents written to {incidents} (claude-otel incidents list)", flush=True)
    print(f"claude-otel proxy: listening on {base} -> {config.upstream}", flush=True)
    print(f"claude-otel proxy: point clients at it with ANTHROPIC_BASE_URL={base}", flush=True)

    import uvicorn

    server = uvicorn.Server(uvicorn_config(proxy.app, access_log=args.access_log))
    # uvicorn re-raises the signal that stopped it once it has shut down; a no-op SIGTERM handler lets
    # the cleanup below run (flush buffered spans) and the command exit 0.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if metrics_server is not None:
            metrics_server.shutdown()
        otlp.shutdown()
        if logs is not None:
            logs.shutdown()
    return 0


def raise_fd_limit(connections: int, spare: int = 512) -> str:
    """Raise the soft open-files limit so ``connections`` client connections (plus upstream connections,
    the metrics server and logs: ``spare``) fit; a notice when the hard limit does not allow it."""
    try:
        import resource
    except ImportError:  # not POSIX
        return ""
    need = connections + spare
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return ""
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target < need:
        return (
            f"open-files limit {target} is below the {need} that --max-client-connections needs; "
            "lower --max-client-connections or raise the limit (ulimit -n)"
        )
    return ""


def main(argv: list[str] | None = None) -> int:
    """``python -m claude_otel.proxy``: the same as ``claude-otel proxy``."""
    parser = argparse.ArgumentParser(prog="claude-otel proxy", description=__doc__)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except KeyboardInterrupt:
        return 130
