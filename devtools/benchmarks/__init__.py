"""The benchmarks that `manage.py benchmark NAME` runs, one module each, each with a `run()`
that seeds its own throwaway database (never the one in use) and prints its figures."""
