"""Benchmarks of the box: ticket issuing, Socket.IO fan-out, memory and cold start, each beside its raw floor.

Run: `make bench` (= `.venv-dev/bin/python -m bench.run --quick`). See docs/performance.md.
Modules run by the server's interpreter (floor_app, shapes) import only the runtime dependencies.
"""
