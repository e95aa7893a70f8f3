"""Run a flow's decider or activity workers in a process of their own.

Usage: python -m tests.worker_process FLOW decider|worker

The end-to-end fault tests kill such processes (SIGKILL) mid-task.
"""

import logging
import sys

from garcon import flow as garcon_flow
from garcon import worker


def main(spec, role):
    logging.basicConfig(level=logging.INFO)
    flow = garcon_flow.load(spec)
    workers = worker.Workers(
        flow, decider=role == 'decider',
        activities=None if role == 'worker' else [])
    workers.start()
    for thread in workers.threads:
        thread.join()


if __name__ == '__main__':
    main(*sys.argv[1:3])
