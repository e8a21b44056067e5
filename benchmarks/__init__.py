"""Benchmarks: run by `make bench`, never timed inside unit tests."""
