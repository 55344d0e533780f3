"""Benchmark and load-test tooling: seed a realistic programme, run gunicorn, measure it.

`make bench` runs `python -m bench.run`; tests/load/ reuses the seeding, server and client.
"""
