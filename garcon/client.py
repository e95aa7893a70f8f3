"""The client side of SWF: start executions of a flow and watch them.

Workers (:mod:`garcon.worker`) do the work; a client starts executions,
reads their status and their history, and waits for them to close.
"""

import json
import time
import uuid

from garcon import connection
from garcon import event

#: How often :meth:`Client.wait` asks SWF about an execution, in seconds.
WAIT_INTERVAL = 0.1

#: How far back :meth:`Client.latest` looks for executions (a year).
LOOKBACK_SECONDS = 366 * 24 * 3600


class Execution(object):
    """One workflow execution.

    Attributes:
        domain (str): its domain.
        workflow_id (str): its workflow id.
        run_id (str): its run id.
    """

    def __init__(self, domain, workflow_id, run_id):
        self.domain = domain
        self.workflow_id = workflow_id
        self.run_id = run_id

    def __repr__(self):
        return 'Execution({!r}, {!r}, {!r})'.format(
            self.domain, self.workflow_id, self.run_id)


class ExecutionTimeout(Exception):
    """An execution did not close within the time given to wait for it."""


class Client(connection.LazyConnection):
    """Start and watch the executions of flows.

    Args:
        endpoint (str): the SWF endpoint (by default the one configured in
            the environment, see :mod:`garcon.connection`).
    """

    def __init__(self, endpoint=None):
        self.endpoint = endpoint

    def start(self, flow, input=None, workflow_id=None,
              execution_timeout=None, decision_timeout=None):
        """Start an execution of a flow.

        Args:
            flow (module): the flow.
            input (dict): the workflow input (a JSON object).
            workflow_id (str): the workflow id (``'{flow name}-{uuid}'`` by
                default).
            execution_timeout (int): seconds the execution may take (the
                workflow type's default otherwise).
            decision_timeout (int): seconds a decision task may take (the
                workflow type's default otherwise).

        Returns:
            Execution: the started execution.
        """
        workflow_id = workflow_id or '{}-{}'.format(
            flow.name, uuid.uuid4().hex)
        response = self._swf.start_workflow_execution(
            flow.domain, workflow_id, flow.name,
            getattr(flow, 'version', '1.0'),
            task_list=flow.name,
            input=json.dumps(input or {}),
            execution_start_to_close_timeout=_seconds(execution_timeout),
            task_start_to_close_timeout=_seconds(decision_timeout))
        return Execution(flow.domain, workflow_id, response['runId'])

    def describe(self, execution):
        """Return SWF's description of an execution (``executionInfo``)."""
        response = self._swf.describe_workflow_execution(
            execution.domain, execution.run_id, execution.workflow_id)
        return response['executionInfo']

    def history(self, execution):
        """Return every event of an execution's history, across pages."""
        events = []
        next_page_token = None
        while True:
            page = self._swf.get_workflow_execution_history(
                execution.domain, execution.run_id, execution.workflow_id,
                next_page_token=next_page_token)
            events.extend(page.get('events', ()))
            next_page_token = page.get('nextPageToken')
            if not next_page_token:
                return events

    def latest(self, domain, workflow_id, lookback=None):
        """Return the latest execution of a workflow id, or None.

        A workflow id has at most one open run; without one, the closed run
        that started last is the latest.

        Args:
            domain (str): the domain.
            workflow_id (str): the workflow id.
            lookback (float): how far back to look, in seconds (a year by
                default).

        Returns:
            Execution: the execution, or None if there is none.
        """
        oldest = time.time() - (lookback or LOOKBACK_SECONDS)
        open_runs = _matching(workflow_id, lambda token: (
            self._swf.list_open_workflow_executions(
                domain, oldest, workflow_id=workflow_id,
                next_page_token=token)))
        runs = open_runs or _matching(workflow_id, lambda token: (
            self._swf.list_closed_workflow_executions(
                domain, start_oldest_date=oldest, workflow_id=workflow_id,
                next_page_token=token)))
        if not runs:
            return None
        info = max(runs, key=lambda i: i.get('startTimestamp', 0))
        return Execution(domain, workflow_id, info['execution']['runId'])

    def cancel(self, execution):
        """Ask SWF to cancel an execution.

        The flow's decider honours the request: nothing new is scheduled
        and, once the activities in flight have closed, the execution is
        canceled.
        """
        self._swf.request_cancel_workflow_execution(
            execution.domain, execution.workflow_id, run_id=execution.run_id)

    def context(self, execution):
        """Return the current context of an execution, read from its
        history."""
        return event.History(self.history(execution)).context

    def wait(self, execution, timeout=None):
        """Wait until an execution closes.

        Args:
            execution (Execution): the execution.
            timeout (float): seconds to wait at most (no limit by default).

        Returns:
            str: its close status (``COMPLETED``, ``FAILED``, ``CANCELED``,
            ``TERMINATED``, ``CONTINUED_AS_NEW`` or ``TIMED_OUT``).

        Raises:
            ExecutionTimeout: it is still open after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            info = self.describe(execution)
            if info['executionStatus'] == 'CLOSED':
                return info['closeStatus']
            if deadline is not None and time.monotonic() > deadline:
                raise ExecutionTimeout(
                    'Execution {} is still open after {} seconds.'.format(
                        execution.workflow_id, timeout))
            time.sleep(WAIT_INTERVAL)


def _matching(workflow_id, list_page):
    """Read every page of a listing, keeping the runs of one workflow id.

    The filter is applied here as well: moto ignores it on closed runs.
    """
    infos = []
    token = None
    while True:
        page = list_page(token)
        infos.extend(
            info for info in page.get('executionInfos', ())
            if info['execution']['workflowId'] == workflow_id)
        token = page.get('nextPageToken')
        if not token:
            return infos


def _seconds(value):
    return None if value is None else str(int(value))
