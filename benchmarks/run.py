"""Run every benchmark and print the tables (Markdown).

    python -m benchmarks                 # everything, a few minutes
    python -m benchmarks --only decision # one section
    python -m benchmarks --json out.json # keep the raw measures too

Sections:

* ``decision``: one decision over synthetic histories of 1k to 25k events,
  this project and Garcon 0.4.1 fed the same decision task (no network),
  and the floor of a first decision at 25k events (see :mod:`floor`);
* ``memory``: the tracemalloc peak of one decision at 25k events;
* ``workflow``: whole executions on the local SWF (N = 200 and 1,000), the
  decider of each library in a process of its own;
* ``throughput``: activities per second with 1, 4 and 16 workers, next to
  what the local server can answer.

Garcon 0.4.1 is installed from the package index into a virtual
environment of its own, made on the first run (see :mod:`reference`).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import histories  # noqa: E402
from benchmarks import reference  # noqa: E402
from benchmarks import tables  # noqa: E402

SECTIONS = ('decision', 'memory', 'workflow', 'throughput')
HISTORY_SIZES = (1000, 5000, 10000, 25000)
DECISION_FLOWS = ('fanout', 'chained')
WORKFLOW_SIZES = (200, 1000)
WORKFLOW_THREADS = 4
THROUGHPUT_WORKERS = (1, 4, 16)
THROUGHPUT_ACTIVITIES = 500
THROUGHPUT_TRIES = 3
WORKFLOW_TRIES = 3
BOUND_SECONDS = 3


def log(line):
    sys.stderr.write(line + '\n')
    sys.stderr.flush()


class Library(object):
    """How to run one library's processes.

    Args:
        label (str): its name in the tables.
        python (str): its interpreter.
        environment (dict): the environment of its processes.
    """

    def __init__(self, label, python, environment):
        self.label = label
        self.python = python
        self.environment = environment

    def as_dict(self):
        return {'python': self.python, 'environment': self.environment}


def libraries(fresh_venv):
    """Return this project and Garcon 0.4.1 (installed if needed)."""
    this = Library('this project', sys.executable,
                   dict(os.environ, PYTHONPATH=ROOT))
    python = reference.ensure(fresh=fresh_venv, log=log)
    garcon_041 = Library('Garcon 0.4.1', python, reference.clean_environment(
        AWS_ACCESS_KEY_ID='benchmark', AWS_SECRET_ACCESS_KEY='benchmark',
        AWS_DEFAULT_REGION='us-east-1'))
    return this, garcon_041


#: Processes each decision is measured in: on a shared machine a whole
#: process can run slow (its core's sibling busy), so the runs of two are
#: pooled.
DECISION_PROCESSES = 2


def measure_decision(library, flow_name, task_path, warm=False, memory=False,
                     processes=DECISION_PROCESSES):
    """Run measure_decision.py in the library's interpreter, in
    ``processes`` processes one after the other, and pool their runs."""
    command = [library.python, os.path.join(HERE, 'measure_decision.py'),
               flow_name, task_path, '--min-runs', '5',
               '--min-seconds', '0.5']
    if warm:
        command.append('--warm')
    if memory:
        command.append('--memory')
    pooled = None
    for _ in range(processes):
        output = subprocess.run(
            command, env=library.environment, capture_output=True,
            text=True, check=True).stdout
        measured = json.loads(output.splitlines()[-1])
        if pooled is None:
            pooled = measured
        else:
            pooled['runs'] += measured['runs']
    return pooled


def write_tasks(directory):
    """Write the decision tasks of every flow and size; return their paths
    and fan-out sizes."""
    tasks = {}
    for flow_name in DECISION_FLOWS:
        for size in HISTORY_SIZES:
            execution = histories.fit(flow_name, size)
            path = os.path.join(directory, '{}-{}.json'.format(
                flow_name, size))
            with open(path, 'w') as task_file:
                json.dump(histories.decision_task(execution), task_file)
            tasks[flow_name, size] = (path, execution.n,
                                      len(execution.events))
    return tasks


def decision_section(this, garcon_041, tasks):
    results = []
    for (flow_name, size), (path, n, events) in sorted(tasks.items()):
        log('One decision: {} flow, {} events'.format(flow_name, events))
        row = {'flow': flow_name, 'events': events, 'n': n}
        row['reference'] = measure_decision(garcon_041, flow_name, path)
        row['cold'] = measure_decision(this, flow_name, path)
        row['warm'] = measure_decision(this, flow_name, path, warm=True)
        results.append(row)
    return results


def floor_section(this, tasks):
    """Time what any decider must do over the largest fan-out history (see
    :mod:`floor`), in this project's interpreter."""
    path, n, events = tasks['fanout', max(HISTORY_SIZES)]
    log('Floor of a new decision: fanout flow, {} events'.format(events))
    output = subprocess.run(
        [this.python, os.path.join(HERE, 'floor.py'), path],
        env=this.environment, capture_output=True, text=True,
        check=True).stdout
    return json.loads(output.splitlines()[-1])


def memory_section(this, garcon_041, tasks):
    results = []
    for flow_name in DECISION_FLOWS:
        path, n, events = tasks[flow_name, max(HISTORY_SIZES)]
        log('Peak memory: {} flow, {} events'.format(flow_name, events))
        row = {'flow': flow_name, 'events': events, 'n': n}
        for key, library, warm in (('reference', garcon_041, False),
                                   ('cold', this, False),
                                   ('warm', this, True)):
            measured = measure_decision(library, flow_name, path, warm=warm,
                                        memory=True, processes=1)
            row[key] = measured['peak_bytes']
        results.append(row)
    return results


def workflow_section(this, garcon_041):
    from benchmarks import workflow
    results = []
    for n in WORKFLOW_SIZES:
        tries = {garcon_041.label: [], this.label: []}
        # The libraries take turns, so that a slow spell of the machine
        # falls on both.
        for attempt in range(WORKFLOW_TRIES):
            for library in (garcon_041, this):
                log('Workflow: N = {}, decider of {}, run {}'.format(
                    n, library.label, attempt + 1))
                measured = workflow.run(library.as_dict(), 'fanout', n,
                                        WORKFLOW_THREADS)
                measured.update(n=n, library=library.label)
                tries[library.label].append(measured)
        for label, runs in tries.items():
            # The run least slowed down by the rest of the machine; the
            # decider CPU of every run is kept for the median.
            best = min(runs, key=lambda run: run['cpu_seconds'])
            best['cpu_runs'] = sorted(run['cpu_seconds'] for run in runs)
            # How every run closed, not only the one in the table.
            best['statuses'] = [run['status'] for run in runs]
            results.append(best)
    return results


def throughput_section(this):
    from benchmarks import server_calls
    from benchmarks import workflow
    log('Server CPU per call')
    results = {'calls': server_calls.measure(ROOT), 'runs': []}
    for workers in THROUGHPUT_WORKERS:
        tries = []
        for attempt in range(THROUGHPUT_TRIES):
            log('Throughput: {} worker(s), run {}'.format(
                workers, attempt + 1))
            measured = workflow.run(
                this.as_dict(), 'burst', THROUGHPUT_ACTIVITIES, workers,
                bound_seconds=BOUND_SECONDS)
            measured.update(workers=workers)
            tries.append(measured)
        # The machine is shared: keep the run least slowed down, and the
        # server's least disturbed rate for the trivial call.
        best = max(tries, key=lambda run: run['fan_out_completed']
                   / run['fan_out_seconds'])
        best['trivial_calls_per_second'] = max(
            run['trivial_calls_per_second'] for run in tries)
        best['tries'] = len(tries)
        results['runs'].append(best)
    return results


def machine():
    """Describe the machine the measures come from."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        'cpu': model, 'cores': os.cpu_count(),
        'python': platform.python_version(),
        'system': '{} {}'.format(platform.system(), platform.release()),
        'load': os.getloadavg()[0] if hasattr(os, 'getloadavg') else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m benchmarks', description=__doc__.splitlines()[0])
    parser.add_argument('--only', action='append', choices=SECTIONS,
                        help='run only this section (repeatable)')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the raw measures there')
    parser.add_argument('--fresh-venv', action='store_true',
                        help='install Garcon 0.4.1 again')
    args = parser.parse_args(argv)
    sections = args.only or SECTIONS

    started = time.perf_counter()
    results = {'machine': machine()}
    this, garcon_041 = libraries(args.fresh_venv)
    with tempfile.TemporaryDirectory(prefix='garcon-bench-') as directory:
        tasks = None
        if 'decision' in sections or 'memory' in sections:
            log('Writing the synthetic histories ...')
            tasks = write_tasks(directory)
        if 'decision' in sections:
            results['decision'] = decision_section(this, garcon_041, tasks)
            results['floor'] = floor_section(this, tasks)
        if 'memory' in sections:
            results['memory'] = memory_section(this, garcon_041, tasks)
    if 'workflow' in sections:
        results['workflow'] = workflow_section(this, garcon_041)
    if 'throughput' in sections:
        results['throughput'] = throughput_section(this)
    results['machine']['load_after'] = machine()['load']
    results['seconds'] = time.perf_counter() - started

    print(tables.render(results))
    if args.json:
        with open(args.json, 'w') as output:
            json.dump(results, output, indent=1)
    return 0
