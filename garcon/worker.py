"""Run a flow's decider and activity workers until told to stop.

:func:`garcon.activity.worker_runner` loops for ever, as in Garcon 0.4.x.
The loops here stop when their ``stop`` event is set: the poll in progress
returns, the task in progress finishes and is reported, then the loop ends.
"""

import copy
import logging
import threading

from garcon import activity as garcon_activity
from garcon import decider as garcon_decider
from garcon import log

logger = logging.getLogger(log.LOGGER_PREFIX)


def run_until_stopped(worker, stop, identity=None):
    """Call ``worker.run(identity)`` until ``stop`` is set or it returns
    False.

    Args:
        worker (object): an Activity or a DeciderWorker.
        stop (threading.Event): set it to stop the loop.
        identity (str): the worker's identity, recorded in the history.
    """
    while not stop.is_set():
        if not worker.run(identity=identity):
            return


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
    """

    def __init__(self, flow, decider=True, activities=None,
                 threads_per_activity=1, identity=None, register=True,
                 endpoint=None):
        self.flow = flow
        self.identity = identity
        self.endpoint = endpoint
        self.stop_event = threading.Event()
        self.threads = []
        self.decider = None
        if decider:
            self.decider = garcon_decider.DeciderWorker(flow, register=False)
            self.decider.endpoint = endpoint
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
        """Start the threads."""
        if self.decider is not None:
            self._start_thread(self.decider, 'decider')
        for activity in self.activities:
            if isinstance(activity, garcon_activity.ExternalActivity):
                continue
            for number in range(self.threads_per_activity):
                clone = clone_activity(activity)
                clone.endpoint = self.endpoint or clone.endpoint
                self._start_thread(clone, '{}#{}'.format(activity.name, number))
        return self

    def _start_thread(self, worker, name):
        thread = threading.Thread(
            target=run_until_stopped, name=name, daemon=True,
            args=(worker, self.stop_event, self.identity))
        thread.start()
        self.threads.append(thread)

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

    def alive(self):
        """Tell whether any thread is still running."""
        return any(thread.is_alive() for thread in self.threads)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
