"""Incidents: the content-free evidence packet of every failure (``record``), kept in a local SQLite file
(``store``), built and written off the request path by the edge the hooks call (``recorder``), read by
``claude-otel incidents`` (``cli``, ``render``)."""
