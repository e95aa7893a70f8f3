"""Run a flow's decider and activity workers until told to stop.

:func:`garcon.activity.worker_runner` loops for ever, as in Garcon 0.4.x.
The loops here stop when their ``stop`` event is set: the poll in progress
returns, the task in progress finishes and is reported, then the loop ends.
"""

import contextlib
import copy
import functools
import logging
import os
import signal
import threading

from garcon import activity as garcon_activity
from garcon import batching
from garcon import decider as garcon_decider
from garcon import log

logger = logging.getLogger(log.LOGGER_PREFIX)

#: The signals that stop :func:`serve` (and :func:`stop_signals`).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Seconds between two checks of the main thread while serving.
SERVE_INTERVAL = 0.2


def clone_activity(activity):
    """Return a copy of an activity that can poll in another thread.

    An activity holds the state of the task it runs (its task token, its
    logger name) and its connection, so each thread needs its own copy.
    """
    clone = copy.copy(activity)
    clone.__dict__.pop('_swf_connection', None)
    return clone


class Workers(object):
    """The decider and the activity workers of a flow, in threads.

    Args:
        flow (module): the flow.
        decider (bool): run a decider.
        activities (list): names of the activities to run (all, when None;
            none, when empty).
        threads_per_activity (int): pollers per activity.
        identity (str): the identity recorded in the history.
        register (bool): register the flow's types on SWF first.
        endpoint (str): the SWF endpoint (the environment's by default).
        batch_window (float): the decider's
            :attr:`~garcon.decider.DeciderWorker.batch_window` (by default
            :data:`garcon.batching.DEFAULT_WINDOW`; 0 answers every decision
            task at once).
    """

    def __init__(self, flow, decider=True, activities=None,
                 threads_per_activity=1, identity=None, register=True,
                 endpoint=None, batch_window=None):
        self.flow = flow
        self.identity = identity
        self.endpoint = endpoint
        self.stop_event = threading.Event()
        self.tracker = TaskTracker()
        self.threads = []
        self.decider = None
        if decider:
            self.decider = garcon_decider.DeciderWorker(flow, register=False)
            self.decider.endpoint = endpoint
            self.decider.batch_window = (
                batching.DEFAULT_WINDOW if batch_window is None
                else batch_window)
            if register:
                self.decider.register()
        self.activities = self._select(activities)
        self.threads_per_activity = threads_per_activity

    def _select(self, names):
        activities = garcon_activity.find_workflow_activities(self.flow)
        if names is None:
            return activities
        if not names:
            return []
        return garcon_activity.select_activities(self.flow, activities, names)

    def start(self):
        """Start the threads: one per poller, each watched by
        :attr:`tracker`."""
        for poller, name in self._pollers():
            self.tracker.watch(poller)
            thread = threading.Thread(
                target=run_tracked, name=name, daemon=True,
                args=(poller, self.stop_event, self.tracker, self.identity))
            thread.start()
            self.threads.append(thread)
        return self

    def _pollers(self):
        """Yield the objects that poll, one per thread, with a thread
        name."""
        if self.decider is not None:
            yield self.decider, 'decider'
        for activity in self.activities:
            if isinstance(activity, garcon_activity.ExternalActivity):
                continue
            for number in range(self.threads_per_activity):
                clone = clone_activity(activity)
                clone.endpoint = self.endpoint or clone.endpoint
                yield clone, '{}#{}'.format(activity.name, number)

    def stop(self, wait=True, timeout=None):
        """Stop the threads: polls in progress return, tasks in progress
        finish.

        Args:
            wait (bool): wait for the threads to end.
            timeout (float): how long to wait for each thread.
        """
        self.stop_event.set()
        if wait:
            for thread in self.threads:
                thread.join(timeout)
        self.flush_answers()

    def flush_answers(self):
        """Send the decider's answers still waiting for their batch window.

        Called once the threads have stopped: an answer left waiting would
        hold its execution until SWF's decision task timeout.
        """
        if self.decider is not None:
            self.decider.flush_answers()

    def alive(self):
        """Tell whether any thread is still running."""
        return any(thread.is_alive() for thread in self.threads)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class TaskTracker(object):
    """Know which pollers hold a task.

    A poller holds a task from the poll that returned it until its
    ``run()`` returns (the task is done and reported).
    """

    def __init__(self):
        self._busy = set()
        self._lock = threading.Lock()

    def watch(self, worker):
        """Track the tasks a worker's polls return.

        Args:
            worker (object): an Activity or a DeciderWorker, used by one
                thread only.

        Returns:
            object: the worker.
        """
        poll = worker.poll

        @functools.wraps(poll)
        def tracked_poll(*args, **kwargs):
            task = poll(*args, **kwargs)
            if task and task.get('taskToken'):
                with self._lock:
                    self._busy.add(id(worker))
            return task

        worker.poll = tracked_poll
        return worker

    def release(self, worker):
        """Record that a worker finished its task (if it had one)."""
        with self._lock:
            self._busy.discard(id(worker))

    @property
    def busy(self):
        """int: how many pollers hold a task."""
        with self._lock:
            return len(self._busy)


def run_tracked(worker, stop, tracker, identity=None):
    """Call ``worker.run(identity)`` until ``stop`` is set or it returns
    False, telling ``tracker`` when each run (and the task it held) is over.

    Args:
        worker (object): an Activity or a DeciderWorker.
        stop (threading.Event): set it to stop the loop.
        tracker (TaskTracker): the tracker watching ``worker``.
        identity (str): the worker's identity, recorded in the history.
    """
    while not stop.is_set():
        try:
            keep_going = worker.run(identity=identity)
        finally:
            tracker.release(worker)
        if not keep_going:
            return


@contextlib.contextmanager
def stop_signals(stop, signals=STOP_SIGNALS):
    """Turn stop signals into ``stop.set()`` while the block runs.

    The first signal sets ``stop``; the process goes on to stop cleanly. A
    second signal ends the process at once, with the exit status of a
    process killed by that signal (128 + its number). The previous handlers
    come back on exit. Outside the main thread (where Python cannot handle
    signals) this does nothing.

    Args:
        stop (threading.Event): the event to set.
        signals (tuple): the signals to handle.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum, frame):
        name = signal.Signals(signum).name
        if stop.is_set():
            logger.warning('%s again: exiting at once.', name)
            logging.shutdown()
            os._exit(128 + signum)
        logger.info('%s: stopping after the tasks in progress (send it '
                    'again to exit at once).', name)
        stop.set()

    previous = {number: signal.signal(number, handle) for number in signals}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def serve(workers, signals=STOP_SIGNALS, interval=SERVE_INTERVAL):
    """Run workers until SIGINT or SIGTERM, then stop them cleanly.

    This is the main loop of a long-running decider or worker process. The
    first signal stops the polling; this returns once every thread has
    ended: the tasks in progress finish and are reported to SWF, and the
    polls in flight return (at the latest when SWF's long poll times out,
    60 s on AWS). Leaving a poll behind is not safe: SWF may hand it a task
    after the process has gone, and that task would wait for its timeout.
    A second signal exits at once (see :func:`stop_signals`).

    Args:
        workers (Workers): the workers, not started yet.
        signals (tuple): the signals that stop them.
        interval (float): seconds between two checks of the main thread.

    Returns:
        int: 0, the exit status of a clean stop.
    """
    tracker = workers.tracker
    with stop_signals(workers.stop_event, signals):
        workers.start()
        if not workers.threads:
            logger.warning('No worker to run: every activity selected is '
                           'external.')
        while not workers.stop_event.wait(interval):
            if not workers.alive():
                break
        workers.stop_event.set()
        if tracker.busy:
            logger.info('Waiting for %d task(s) in progress.', tracker.busy)
        logger.info('Waiting for the polls in flight to return.')
        join(workers.threads, interval)
        workers.flush_answers()
    logger.info('Stopped.')
    return 0


def join(threads, interval=SERVE_INTERVAL):
    """Wait for threads to end, handling signals meanwhile (a plain
    ``join()`` would hold the main thread, signal handlers included)."""
    for thread in threads:
        while thread.is_alive():
            thread.join(interval)
