"""The analysis subcommands of `claude-otel`: check, classify, skeleton, rules.

Each module exposes ``add_arguments(parser)`` (cheap) and ``run(args) -> int``. Exit status: 0 fine,
1 some body has an error-severity finding (``check`` only), 2 the input cannot be read (one line on
stderr saying where; never a traceback).
"""
