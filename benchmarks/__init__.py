"""Benchmarks of Garcon's decider and of the local SWF, side by side with
Garcon 0.4.1.

Run them all with ``python -m benchmarks`` from the top of the repository
(see docs/performance.md). They are not tests: pytest does not collect them.
"""
