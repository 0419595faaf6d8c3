"""`claude-otel demo`: a fleet of instrumented agents, some buggy, against the shape-enforcing mock server."""
