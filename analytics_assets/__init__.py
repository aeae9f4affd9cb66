"""Agent Analytics: a local-first analytics warehouse for AI coding assistants."""

import os

# polars' allocator (jemalloc, configured by this variable) hands freed memory back to the system
# almost at once by default, so every ingest batch faults its memory in again: a third of an
# OTLP ingest's CPU time was the kernel's. jemalloc's own defaults keep freed pages for 10 s
# (measured on 180 k spans: 22.5 k -> 28 k spans/s, sys time 4.8 -> 2.3 s). It is read when polars
# loads: this package is the first import of the Dagster code location and of the benches. A value
# set in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:10000,muzzy_decay_ms:0")
