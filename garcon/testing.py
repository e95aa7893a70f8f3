"""Run flows to completion, for tests and examples.

:func:`run_flow` starts an execution of a flow, runs its decider and its
activity workers in threads of this process, waits for the execution to
close and returns what happened, read from the real history::

    from garcon import local, testing

    with local.LocalSWF() as swf, swf.configure_environment():
        run = testing.run_flow(my_flow, input={'user': 'bob'})
    assert run.status == 'COMPLETED'
    assert run.context['greeting'] == 'hello bob'

With pytest, the ``garcon_swf`` and ``garcon_run`` fixtures of
:mod:`garcon.pytest_plugin` do the set-up (see docs/testing.rst).
"""

from garcon import client as garcon_client
from garcon import event
from garcon import flow as garcon_flow
from garcon import timeline as garcon_timeline
from garcon import worker

#: Seconds a decision task may take in executions started by run_flow:
#: short, so that a lost decision is retried quickly.
DECISION_TIMEOUT = 10


class FlowRun(object):
    """The outcome of an execution run by :func:`run_flow`.

    Attributes:
        execution (Execution): the execution.
        status (str): its close status (``COMPLETED``, ``FAILED``, ...).
        events (list): its whole history.
    """

    def __init__(self, execution, status, events):
        self.execution = execution
        self.status = status
        self.events = events
        self._history = None

    @property
    def history(self):
        """History: the history, read (states, context, failures).

        Read on first use: the status, reason and events of an execution
        whose input is not a JSON object can be inspected, though it has no
        context (reading it raises ``WorkflowInputError``).
        """
        if self._history is None:
            self._history = event.History(self.events)
        return self._history

    @property
    def context(self):
        """dict: the context at the end of the execution."""
        return self.history.context

    @property
    def states(self):
        """dict: activity name -> activity id -> ActivityState."""
        return self.history.states

    @property
    def timeline(self):
        """Timeline: each activity instance and its attempts (see
        :mod:`garcon.timeline`)."""
        return garcon_timeline.Timeline(self.events)

    def attempts(self, activity_name):
        """Count the times an activity was scheduled (retries included).

        Args:
            activity_name (str): its name, with or without the flow's name
                in front (``'fetch'`` or ``'my_flow_fetch'``).

        Returns:
            int: the number of ``ActivityTaskScheduled`` events of all its
            instances.
        """
        execution_timeline = self.timeline
        short = execution_timeline.short_name(activity_name)
        return sum(len(instance.attempts)
                   for instance in execution_timeline.instances_of(short))

    def __repr__(self):
        return '<FlowRun {} {}{}>'.format(
            self.execution.workflow_id, self.status,
            ': {}'.format(self.reason) if self.reason else '')

    def events_of_type(self, event_type):
        """Return the events of one type, in order."""
        return [e for e in self.events if e['eventType'] == event_type]

    @property
    def close_event(self):
        """dict: the event that closed the execution (None if open)."""
        closing = [e for e in self.events
                   if e['eventType'].startswith('WorkflowExecution')
                   and e['eventType'] not in (
                       'WorkflowExecutionStarted',
                       'WorkflowExecutionSignaled',
                       'WorkflowExecutionCancelRequested')]
        return closing[-1] if closing else None

    @property
    def reason(self):
        """str: why the execution failed (None unless it did)."""
        close = self.close_event
        if not close:
            return None
        attributes = close.get('workflowExecutionFailedEventAttributes', {})
        return attributes.get('reason')


def run_flow(flow, input=None, workflow_id=None, timeout=60,
             execution_timeout=None, decision_timeout=DECISION_TIMEOUT,
             threads_per_activity=1, activities=None, endpoint=None):
    """Run a flow to completion and return the outcome.

    Args:
        flow (module): the flow, or where to load it from (a dotted module
            path, a ``.py`` file, ``module:attribute``; see
            :func:`garcon.flow.load`).
        input (dict): the workflow input.
        workflow_id (str): the workflow id (a unique one by default).
        timeout (float): seconds to wait for the execution to close.
        execution_timeout (int): the execution's start-to-close timeout
            (defaults to ``timeout`` rounded up).
        decision_timeout (int): the decision tasks' timeout.
        threads_per_activity (int): activity pollers per activity.
        activities (list): the activities to run workers for (all by
            default; give an empty list to run none, e.g. for external
            activities completed by the test).
        endpoint (str): the SWF endpoint (the environment's by default).

    Returns:
        FlowRun: the outcome.

    Raises:
        garcon.client.ExecutionTimeout: the execution did not close in
            time (the workers are stopped all the same).
    """
    if isinstance(flow, str):
        flow = garcon_flow.load(flow)
    client = garcon_client.Client(endpoint=endpoint)
    workers = worker.Workers(
        flow, activities=activities,
        threads_per_activity=threads_per_activity, endpoint=endpoint)
    with workers:
        execution = client.start(
            flow, input=input, workflow_id=workflow_id,
            execution_timeout=execution_timeout or int(timeout) + 1,
            decision_timeout=decision_timeout)
        status = client.wait(execution, timeout=timeout)
        workers.stop_event.set()
        events = client.history(execution)
    return FlowRun(execution, status, events)
