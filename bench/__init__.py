"""The benchmark of docs/benchmarks.md: dbt against the write floor and a Python + TA-Lib job.

A folder of the checkout, not part of the installed package: run it from the repository root
as `python -m bench` (or `make bench`).
"""
