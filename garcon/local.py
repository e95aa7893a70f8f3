"""The embedded local SWF: moto's SWF on loopback, made to behave like SWF.

:class:`LocalSWF` serves moto's SWF in this process, on ``127.0.0.1``
(port 0 picks a free port), and points boto 2 at it::

    with LocalSWF() as swf:
        layer1 = swf.connect()
        ...

The server answers SWF and moto's ``/moto-api`` (``/moto-api/reset``...):
moto's own server would look for the service of each request among all of
moto's, most of the time of a short request. Any other request is refused
as an SWF action the local SWF does not implement.

The HTTP server is :mod:`garcon.local_http` (a thread per connection,
connections kept open between calls), not werkzeug's development server,
which closes the connection after every answer: a new TCP connection and a
new thread per call cost the server more than moto's work does.

moto's SWF differs from the real service where Garcon depends on it. The
fixes below are the one place that touches moto's internals; they are
installed, once per process, when a local server starts:

* **Activity id reuse.** SWF refuses an activity id only while an activity
  with that id is *open* in the execution; moto refuses any id ever used.
* **One lock.** moto takes no lock of its own around SWF calls and its server
  answers requests on threads: two pollers could get the same task. Every
  SWF action runs under one lock.
* **Long polling.** SWF holds an empty poll open (up to 60 s) and answers as
  soon as a task arrives; moto sleeps 1 s and answers empty. Polls here wait
  up to :data:`POLL_TIMEOUT` seconds (``LocalSWF(poll_timeout=...)``), woken
  by what may bring a task to their task list.
* **History paging.** SWF returns at most ``maximumPageSize`` (at most 1,000)
  events a call plus a ``nextPageToken``; moto returns the whole history.
* **One scheduled decision task.** SWF schedules a decision task only if
  none is waiting; moto schedules one per event while none is started.
* **Open activities limit.** SWF refuses to schedule an activity task while
  1,000 are open in the execution (``ScheduleActivityTaskFailed``, cause
  ``OPEN_ACTIVITIES_LIMIT_EXCEEDED``); moto schedules any number, so a
  decider that overruns the limit would work here and fail on AWS.
* **Activity timeouts.** SWF times an activity task out by four clocks:
  schedule-to-start, schedule-to-close, start-to-close and heartbeat (from
  the start, reset by each heartbeat). moto only has the heartbeat one, and
  starts it when the task is scheduled: a hung worker was never timed out,
  and a task waiting in its task list timed out before it started.
* **Late answers.** SWF refuses with ``UnknownResourceFault`` an answer to a
  task that timed out or failed; moto fails with a 500, which boto retries
  for minutes.
* **Speed.** moto rescans every event to number a new one, every task of
  the domain to find an execution's tasks, every task a task list ever had
  to hand one out, and, at every call, every open task for a timeout: all
  quadratic over the 25,000 events an SWF history may reach, or the
  thousands of activities of a fan-out. Here event ids are O(1), tasks are
  indexed per execution and per task list, and an execution is looked at
  for timeouts only once its next one falls due.
* **Open counts.** SWF counts a timed-out task as closed; moto leaves it in
  ``openDecisionTasks`` / ``openActivityTasks`` for ever, and then refuses
  every ``CancelWorkflowExecution`` decision of the execution.
* **Start times.** moto describes every execution as started on
  2015-01-01; here ``DescribeWorkflowExecution`` gives its real start.
* **Cancel requests.** moto does not implement
  ``RequestCancelWorkflowExecution``; here it records
  ``WorkflowExecutionCancelRequested`` and schedules a decision task, as on
  SWF.
* **What moto does not implement fails fast.** moto answers an action it
  does not implement with a 500, which boto retries for minutes, and applies
  a decision list up to the first decision it cannot handle. Here such an
  action is refused at once (HTTP 400, ``UnknownOperationException``) and
  such a decision before anything of its list is applied
  (``ValidationException``), each naming what is missing.

Each fix is a function below, with what SWF does and why moto needs it.

moto keeps its state in module globals: every :class:`LocalSWF` of a process
serves the same SWF state, and :meth:`LocalSWF.reset` clears it for all.

The fixes were written for and tested with moto 5.1.x and 5.2.x
(:data:`MOTO_REQUIREMENT`; Python 3.9 gets 5.1.x, as moto 5.2 needs Python
3.10). Where the two differ, the code says so. If the internals the fixes
patch are missing, starting a server raises :class:`LocalSWFError` naming
the installed moto version; another minor version of moto only logs a
warning.
"""

import base64
import collections
import contextlib
import functools
import heapq
import inspect
import itertools
import json
import logging
import os
import threading
import time

from garcon import connection
from garcon import local_http

logger = logging.getLogger(__name__)

#: Seconds an empty poll waits for a task before it returns empty. SWF waits
#: 60 s; a shorter wait keeps local workers and tests responsive.
POLL_TIMEOUT = 5

#: Seconds between two checks of a waiting poll. moto notices timeouts
#: (heartbeat, decision task) only when a call looks, so a waiting poll looks
#: again this often even when no other call wakes it.
RECHECK_INTERVAL = 0.2

#: Largest (and default) number of history events in one page, as on SWF.
MAX_PAGE_SIZE = 1000

#: Most activity tasks open at once in one execution, as on SWF.
MAX_OPEN_ACTIVITIES = 1000

#: The moto minor versions these fixes were tested with.
TESTED_MOTO_VERSIONS = ('5.1', '5.2')

#: The moto the local SWF needs, as pip spells it.
MOTO_REQUIREMENT = 'moto[server]>=5.1,<5.3'

ENDPOINT_ENV_VARIABLE = 'AWS_ENDPOINT_URL_SWF'

_OPEN_STATES = ('SCHEDULED', 'STARTED')


class LocalSWFError(RuntimeError):
    """The local SWF cannot run (moto missing or of an untested shape)."""


class LocalSWF(object):
    """An SWF endpoint on loopback, served by moto with SWF-parity fixes.

    A context manager: ``with LocalSWF() as swf:`` starts the server and
    stops it on exit.

    Args:
        port (int): the port to listen on; 0 picks a free one.
        host (str): the address to listen on.
        poll_timeout (float): seconds an empty poll waits for a task; by
            default :data:`POLL_TIMEOUT`.
    """

    def __init__(self, port=0, host='127.0.0.1', poll_timeout=None):
        self.host = host
        self.requested_port = port
        self.poll_timeout = poll_timeout
        self._server = None
        self._port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        """Start the server (a no-op when it already runs).

        Returns:
            LocalSWF: self.

        Raises:
            LocalSWFError: moto is missing or lacks the internals patched.
        """
        if self._server is not None:
            return self
        install_parity_fixes()
        try:
            server = local_http.WSGIServer(
                self.host, self.requested_port, _swf_application(),
                name='garcon-local-swf')
        except OSError as error:
            # A busy port is the user's to fix (another local SWF, most
            # likely): say so with the address, not with a bare OSError.
            raise LocalSWFError(
                'The local SWF cannot listen on {}:{}: {}'.format(
                    self.host, self.requested_port, error))
        server.start()
        self._server = server
        self._port = server.port
        _STATE.poll_timeouts[self._port] = (
            POLL_TIMEOUT if self.poll_timeout is None else self.poll_timeout)
        logger.info('Local SWF listening on %s', self.endpoint)
        return self

    def stop(self):
        """Stop the server (a no-op when it does not run)."""
        if self._server is None:
            return
        self._server.stop()
        _STATE.poll_timeouts.pop(self._port, None)
        logger.info('Local SWF on %s stopped', self.endpoint)
        self._server = None
        self._port = None

    @property
    def port(self):
        """int: the port the server listens on."""
        if self._port is None:
            raise LocalSWFError('The local SWF is not started.')
        return self._port

    @property
    def endpoint(self):
        """str: the endpoint URL, ``http://HOST:PORT``."""
        host = '[{}]'.format(self.host) if ':' in self.host else self.host
        return 'http://{}:{}'.format(host, self.port)

    def environ(self):
        """Return the environment variables that point SDKs at this server.

        Returns:
            dict: ``{'AWS_ENDPOINT_URL_SWF': endpoint}``.
        """
        return {ENDPOINT_ENV_VARIABLE: self.endpoint}

    @contextlib.contextmanager
    def configure_environment(self):
        """Point ``os.environ`` at this server while the block runs.

        The variables' previous values (or absence) come back on exit.
        """
        saved = {name: os.environ.get(name) for name in self.environ()}
        os.environ.update(self.environ())
        try:
            yield self
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def reset(self):
        """Forget every domain, type and execution of the local SWF.

        moto's state belongs to the process: this clears it for every
        :class:`LocalSWF` of the process, started or not.
        """
        install_parity_fixes()
        from moto.swf.models import swf_backends
        with _STATE.lock:
            for account_backends in list(swf_backends.values()):
                account_backends.reset()
            _forget_recorded_instances()
            _STATE.wake(everyone=True)

    def connect(self):
        """Return a boto Layer1 connection to this server.

        Returns:
            garcon.connection.Layer1: the connection.
        """
        return connection.connect(endpoint=self.endpoint)


def _forget_recorded_instances():
    # moto's models record their instances (for /moto-api/data.json), which
    # would keep every reset execution alive; moto's own reset forgets them.
    from moto.core.model_instances import model_data
    for model in model_data.get('swf', {}).values():
        for attribute in _RECORDED_INSTANCES:
            if hasattr(model, attribute):
                setattr(model, attribute, [])
                break


class _SWFApplication(object):
    """The WSGI application of the local SWF: SWF, and moto's ``/moto-api``.

    moto's own server finds the service of every request among all of
    moto's (and lists moto's packages on disk to do so, under a lock): most
    of a short request's time. The local SWF serves one service.

    Args:
        swf (flask.Flask): moto's SWF application.
        moto_api (flask.Flask): moto's ``/moto-api`` application (reset,
            data.json...).
    """

    def __init__(self, swf, moto_api):
        self.swf = swf
        self.moto_api = moto_api

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        application = (
            self.moto_api if path.startswith('/moto-api') else self.swf)
        return application(environ, start_response)


_APPLICATION_LOCK = threading.Lock()
_application = None


def _swf_application():
    """Return the WSGI application, made once per process.

    moto's applications keep no state of their own (moto's state is the
    process's): every server of the process can share them.
    """
    global _application
    with _APPLICATION_LOCK:
        if _application is None:
            from moto.server import create_backend_app
            _application = _SWFApplication(
                create_backend_app('swf'), create_backend_app('moto_api'))
        return _application


class _SharedState(object):
    """What the patched moto shares across request threads."""

    def __init__(self):
        # Reentrant: a long poll holds it around each moto call it makes.
        self.lock = threading.RLock()
        # The polls waiting: (kind, domain, task list) -> _Waiters.
        self.waiting = {}
        # The (kind, domain, task list) that may have a task for a waiting
        # poll since the waiting polls were last woken.
        self.news = set()
        # Server port -> poll timeout of the LocalSWF listening there.
        self.poll_timeouts = {}

    def wake(self, everyone=False):
        """Wake the polls waiting where there is news (or every poll)."""
        news, self.news = self.news, set()
        for key in list(self.waiting) if everyone else news:
            waiters = self.waiting.get(key)
            if waiters is not None:
                waiters.condition.notify_all()

    @contextlib.contextmanager
    def waiting_for(self, key):
        """Count a poll waiting for tasks of a kind in a task list.

        Yields:
            threading.Condition: what the poll waits on (with the lock).
        """
        waiters = self.waiting.get(key)
        if waiters is None:
            waiters = self.waiting[key] = _Waiters(self.lock)
        waiters.count += 1
        try:
            yield waiters.condition
        finally:
            waiters.count -= 1
            if not waiters.count:
                del self.waiting[key]


class _Waiters(object):
    """The polls waiting on one task list: a condition of the one lock."""

    def __init__(self, lock):
        self.condition = threading.Condition(lock)
        self.count = 0


_STATE = _SharedState()

# What moto's ``activity_tasks``, ``decision_tasks`` and ``events()`` of an
# execution return during the call at hand (see _viewing).
_VIEW = threading.local()

_INSTALL_LOCK = threading.Lock()
_installed = False


def install_parity_fixes():
    """Patch moto's SWF to behave like SWF (idempotent).

    :class:`LocalSWF` calls it on start; the patches apply to the whole
    process, including moto's in-process mocks.

    Raises:
        LocalSWFError: moto is missing or lacks the internals patched.
    """
    global _installed
    with _INSTALL_LOCK:
        if _installed:
            return
        targets = _moto_targets()
        _check_moto_internals(targets)
        _fix_timeouts(targets['timeout'])
        # Before _fix_timeout_checks: the deadline of a task that starts is
        # read once its start is recorded.
        _fix_activity_timeouts(targets)
        _fix_event_ids(targets['WorkflowExecution'])
        _fix_task_lookups(targets)
        _fix_timeout_checks(targets)
        _fix_activity_polls(targets)
        _fix_activity_id_reuse(targets['WorkflowExecution'])
        _fix_open_activities_limit(targets)
        _fix_decision_task_scheduling(targets['WorkflowExecution'])
        _fix_open_counts(targets['WorkflowExecution'])
        _fix_answers_to_closed_tasks(targets['SWFBackend'])
        _fix_timer_firing(targets['WorkflowExecution'])
        _fix_start_timestamp(targets['WorkflowExecution'])
        _fix_unsupported_decisions(targets['WorkflowExecution'])
        _add_cancel_requests(targets)
        # Every public method of SWFResponse defined so far is an action;
        # the methods patched after it are not.
        _fix_actions(targets['SWFResponse'])
        _fix_unsupported_actions(targets['SWFResponse'])
        _remember_server_ports(targets['SWFResponse'])
        _installed = True
        logger.debug('moto %s patched for SWF parity', _moto_version())


def _moto_version():
    try:
        import moto
    except ImportError:
        return None
    return getattr(moto, '__version__', 'unknown')


def _moto_targets():
    try:
        from moto.swf import models
        from moto.swf import responses
        from moto.swf.models import activity_task
        from moto.swf.models import decision_task
        from moto.swf.models import domain
        from moto.swf.models import history_event
        from moto.swf.models import timeout
        from moto.swf.models import workflow_execution
        from moto.swf import exceptions
        from moto.core import model_instances
    except ImportError as error:
        raise LocalSWFError(
            'The local SWF needs moto[server] {} ({}): pip install "{}".'
            .format(_tested_versions(), error, MOTO_REQUIREMENT))
    return {
        'models': models,
        'SWFBackend': models.SWFBackend,
        'WorkflowExecution': workflow_execution.WorkflowExecution,
        'ActivityTask': activity_task.ActivityTask,
        'DecisionTask': decision_task.DecisionTask,
        'Domain': domain.Domain,
        'SWFResponse': responses.SWFResponse,
        'exceptions': exceptions,
        'timeout': timeout,
        'history_event': history_event,
        'model_instances': model_instances,
    }


# The list in which a moto model records its instances: moto 5.1.9 renamed
# it from ``instances`` to ``instances_tracked``.
_RECORDED_INSTANCES = ('instances_tracked', 'instances')

# The internals each fix patches or relies on. A tuple of names means any
# one of them (moto versions name it differently).
_REQUIRED_INTERNALS = {
    'models': ('sleep', 'swf_backends', 'ActivityType'),
    'exceptions': (
        'SWFValidationException', 'SWFUnknownResourceFault',
        'SWFClientError'),
    'timeout': ('Timeout', 'unix_time'),
    'history_event': ('SUPPORTED_HISTORY_EVENT_TYPES',),
    'model_instances': ('model_data',),
    'SWFBackend': (
        'poll_for_decision_task', 'poll_for_activity_task',
        'respond_decision_task_completed', '_find_activity_task_from_token',
        'describe_workflow_execution', '_get_domain', '_process_timeouts'),
    'WorkflowExecution': (
        'next_event_id', '_add_event', 'events', 'schedule_activity_task',
        'activity_tasks', 'decision_tasks', '_find_activity_task',
        '_find_decision_task', '_process_timeouts', '_schedule_decision_task',
        'schedule_decision_task', '_fire_timer', 'timeout_decision_task',
        'timeout_activity_task', 'validate_decisions', 'start',
        'start_decision_task', 'first_timeout', 'to_medium_dict',
        _RECORDED_INSTANCES),
    'ActivityTask': (
        'first_timeout', 'start', 'timeout', 'reset_heartbeat_clock'),
    'DecisionTask': ('first_timeout',),
    'Domain': (
        'add_to_activity_task_list', 'add_to_decision_task_list',
        'activity_tasks', 'decision_tasks', 'get_workflow_execution',
        'get_type'),
    'SWFResponse': (
        'poll_for_decision_task', 'poll_for_activity_task',
        'get_workflow_execution_history', '_params', 'swf_backend',
        'call_action', '_get_action', 'setup_class'),
}


def _has_internal(owner, name):
    names = name if isinstance(name, tuple) else (name,)
    return any(hasattr(owner, each) for each in names)


def _check_moto_internals(targets):
    missing = [
        '{}.{}'.format(owner, '|'.join(name) if isinstance(name, tuple)
                       else name)
        for owner, names in sorted(_REQUIRED_INTERNALS.items())
        for name in names if not _has_internal(targets[owner], name)]
    if missing:
        raise LocalSWFError(
            'moto {} lacks the SWF internals garcon.local patches ({}); it '
            'was tested with moto {}: pip install "{}".'.format(
                _moto_version(), ', '.join(missing), _tested_versions(),
                MOTO_REQUIREMENT))
    if _minor_version(_moto_version()) not in TESTED_MOTO_VERSIONS:
        logger.warning(
            'garcon.local was tested with moto %s, not %s: the local SWF '
            'may differ from SWF.', _tested_versions(), _moto_version())


def _tested_versions():
    return ' or '.join(version + '.x' for version in TESTED_MOTO_VERSIONS)


def _minor_version(version):
    return '.'.join(str(version).split('.')[:2])


# -- Timeout checks -----------------------------------------------------------

def _fix_timeouts(timeout_module):
    # moto checks the timeouts of every open task at the start of every call,
    # making a Timeout per task each time. (1) Every moto model records its
    # instances (for /moto-api/data.json) and never lets them go: with 1,000
    # open activities that is 1,000 more live objects per call, so memory and
    # garbage collection grow without bound. A Timeout is a throwaway value:
    # make it unrecorded. (2) Its clock, moto's unix_time(), builds datetimes
    # to read the time. time.time() reads the same clock (_first_deadline
    # sets it to infinity for a moment, on its thread).
    def new(cls, *args, **kwargs):
        return object.__new__(cls)

    timeout_module.Timeout.__new__ = staticmethod(new)
    timeout_module.unix_time = _timeout_clock


def _timeout_clock():
    return getattr(_VIEW, 'now', None) or time.time()


# Where an execution keeps the time its next timeout falls due.
_DEADLINE = '_garcon_next_deadline'


def _fix_timeout_checks(targets):
    # moto looks at every open task of every open execution, at the start of
    # every call, for a timeout that fell due: with 1,000 open activities,
    # milliseconds per call, the most of the server's time in a big fan-out.
    # An execution here keeps when its next timeout falls due and is looked
    # at only from then on: a call notices a timeout exactly when moto's
    # check would. A clock that starts may bring that time forward: one
    # starts when an execution starts (execution start-to-close), when a
    # decision task starts (start-to-close), when an activity task is
    # scheduled (schedule-to-start, schedule-to-close) and when it starts
    # (start-to-close, heartbeat; see _fix_activity_timeouts). A heartbeat,
    # a closed task or a closed execution only puts a timeout later: the
    # execution is looked at once too early, which finds nothing and puts
    # the next one later.
    execution = targets['WorkflowExecution']
    domain = targets['Domain']
    process = execution._process_timeouts

    @functools.wraps(process)
    def process_timeouts(self):
        deadline = self.__dict__.get(_DEADLINE)
        if deadline is not None and _timeout_clock() < deadline:
            return
        process(self)
        self.__dict__[_DEADLINE] = _next_deadline(self)

    execution._process_timeouts = process_timeouts
    execution.start = _starting_a_clock(
        execution.start, lambda self, *args, **kwargs: (self, self))
    execution.start_decision_task = _starting_a_clock(
        execution.start_decision_task,
        lambda self, task_token, *args, **kwargs: (
            self, _task_index(self, 'decision').by_token[task_token]))
    domain.add_to_activity_task_list = _starting_a_clock(
        domain.add_to_activity_task_list,
        lambda self, task_list, task: (task.workflow_execution, task))
    activity_task = targets['ActivityTask']
    activity_task.start = _starting_a_clock(
        activity_task.start,
        lambda self, *args, **kwargs: (self.workflow_execution, self))


def _starting_a_clock(method, clock_owner):
    """Wrap a method that starts a clock to bring the deadline forward.

    Args:
        method (callable): the moto method.
        clock_owner (callable): gets the method's arguments and returns the
            execution and the task (or execution) whose clock started.
    """
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        result = method(*args, **kwargs)
        execution, owner = clock_owner(*args, **kwargs)
        deadline = execution.__dict__.get(_DEADLINE)
        # None: never looked at, the next call looks at everything anyway.
        if deadline is not None:
            execution.__dict__[_DEADLINE] = min(
                deadline, _first_deadline([owner]))
        return result
    return wrapper


def _next_deadline(execution):
    """Return when an execution's next timeout falls due (inf: never)."""
    with _viewing('activity', _TaskIndex.open_tasks), \
            _viewing('decision', _TaskIndex.open_tasks):
        owners = [execution]
        owners.extend(execution.decision_tasks)
        owners.extend(execution.activity_tasks)
    return _first_deadline(owners)


def _first_deadline(owners):
    """Return when the first timeout of tasks or executions falls due.

    moto's ``first_timeout`` returns an object's timeout that fell due. With
    the clock at infinity every timeout has: it then tells when each one
    falls due, by moto's own rules.

    Args:
        owners (list): the tasks and executions.

    Returns:
        float: the earliest time (``time.time()``), inf when none has one.
    """
    _VIEW.now = float('inf')
    try:
        timeouts = [owner.first_timeout() for owner in owners]
    finally:
        _VIEW.now = None
    return min(
        (timeout.timestamp for timeout in timeouts if timeout is not None),
        default=float('inf'))


# -- Activity timeouts ------------------------------------------------------

# SWF's timeouts of an activity task, in the order SWF lists them (the first
# listed wins a tie): (timeout type, key in the task's timeouts, the clock
# it runs from). The clocks: when the task was scheduled, when it started,
# and when it started or last heartbeated.
_ACTIVITY_TIMEOUTS = (
    ('START_TO_CLOSE', 'startToCloseTimeout', 'started'),
    ('SCHEDULE_TO_START', 'scheduleToStartTimeout', 'scheduled'),
    ('SCHEDULE_TO_CLOSE', 'scheduleToCloseTimeout', 'scheduled'),
    ('HEARTBEAT', 'heartbeatTimeout', 'heartbeat'),
)

# Where an activity task keeps when it was scheduled and when it started
# (seconds since the epoch, as time.time()).
_SCHEDULED_AT = '_garcon_scheduled_timestamp'
_STARTED_AT = '_garcon_started_timestamp'


def _fix_activity_timeouts(targets):
    # SWF times an activity task out by the first of four clocks to run out,
    # each set by the ScheduleActivityTask decision or else by the activity
    # type's default ("NONE": no limit): SCHEDULE_TO_START while it waits in
    # its task list, SCHEDULE_TO_CLOSE from its scheduling, START_TO_CLOSE
    # from its start, HEARTBEAT from its start or last heartbeat. moto only
    # has the heartbeat clock, which it starts when the task is scheduled: a
    # hung worker that needs no heartbeat is never timed out, nor is a task
    # nobody polls, and a task that waits longer than its heartbeat timeout
    # times out before it starts. Here the task's first_timeout() returns
    # the first of the four that ran out, which moto's timeout machinery
    # (WorkflowExecution._process_timeouts) then applies as it does its
    # heartbeat timeout: ActivityTaskTimedOut, the task closed, a decision
    # task scheduled.
    activity_task = targets['ActivityTask']
    timeout_class = targets['timeout'].Timeout
    start = activity_task.start

    @functools.wraps(start)
    def start_the_clocks(self, *args, **kwargs):
        result = start(self, *args, **kwargs)
        self.__dict__[_STARTED_AT] = time.time()
        self.reset_heartbeat_clock()
        return result

    def first_timeout(self):
        if not self.open or not self.workflow_execution.open:
            return None
        due = min(_activity_deadlines(self), default=None,
                  key=lambda deadline: deadline[0])
        if due is None:
            return None
        timeout = timeout_class(self, *due)
        return timeout if timeout.reached else None

    activity_task.start = start_the_clocks
    activity_task.first_timeout = first_timeout
    execution = targets['WorkflowExecution']
    execution.timeout_activity_task = _with_started_event_id(
        execution.timeout_activity_task)


def _activity_deadlines(task):
    """Return when each timeout of an open activity task falls due.

    Returns:
        list: ``(time, timeout type)`` pairs, in the order SWF lists the
        types; none for a timeout of "NONE" or one whose clock has not
        started.
    """
    clocks = {'scheduled': _scheduled_timestamp(task)}
    if task.state == 'SCHEDULED':
        clocks['started'] = clocks['heartbeat'] = None
    else:
        clocks['heartbeat'] = task.last_heartbeat_timestamp
        # A task started before the fixes has no start recorded: its
        # heartbeat clock, moto's, is the nearest.
        clocks['started'] = task.__dict__.get(
            _STARTED_AT, clocks['heartbeat'])
    deadlines = []
    for kind, key, clock in _ACTIVITY_TIMEOUTS:
        seconds = task.timeouts.get(key)
        if clocks[clock] is not None and seconds not in (None, '', 'NONE'):
            deadlines.append((clocks[clock] + int(seconds), kind))
    return deadlines


def _scheduled_timestamp(task):
    """Return when an activity task was scheduled (as time.time())."""
    timestamp = task.__dict__.get(_SCHEDULED_AT)
    if timestamp is None:
        # moto's own record of it: a datetime, read once.
        from moto.core.utils import unix_time
        timestamp = task.__dict__[_SCHEDULED_AT] = unix_time(
            task.scheduled_at)
    return timestamp


def _with_started_event_id(timeout_activity_task):
    # SWF's ActivityTaskTimedOut always has a startedEventId: 0 for a task
    # that never started. moto's history events leave out the attributes
    # that are None or 0.
    @functools.wraps(timeout_activity_task)
    def timeout_activity_task_as_swf(self, *args, **kwargs):
        result = timeout_activity_task(self, *args, **kwargs)
        event = self._events[-1]
        if event.event_type == 'ActivityTaskTimedOut':
            event.event_attributes.setdefault('startedEventId', 0)
        return result
    return timeout_activity_task_as_swf


# -- Event ids ---------------------------------------------------------------

def _fix_event_ids(workflow_execution):
    # moto numbers a new event max(all ids) + 1, a scan of the whole history
    # per event. Events are only appended, numbered 1, 2, 3...: the last one
    # holds the max.
    def next_event_id(self):
        events = self._events
        return events[-1].event_id + 1 if events else 1

    original_add_event = workflow_execution._add_event

    @functools.wraps(original_add_event)
    def add_event(self, *args, **kwargs):
        event = original_add_event(self, *args, **kwargs)
        _note_news(self, event)
        return event

    workflow_execution.next_event_id = next_event_id
    workflow_execution._add_event = add_event
    workflow_execution.events = _events_in_view(workflow_execution.events)


# The history events after which a poll may get a task it could not get
# before, and the kind of that task: a task scheduled, or the decision task
# of an execution freed by the end of the one started.
_NEWS_EVENTS = {
    'ActivityTaskScheduled': 'activity',
    'DecisionTaskScheduled': 'decision',
    'DecisionTaskCompleted': 'decision',
    'DecisionTaskTimedOut': 'decision',
}


def _note_news(execution, event):
    # Waking every waiting poll at every event made nine polls in ten find
    # nothing in a fan-out with eight activity pollers on two task lists. A
    # poll wakes for news of its task list (and rechecks every
    # RECHECK_INTERVAL regardless).
    kind = _NEWS_EVENTS.get(event.event_type)
    if kind == 'activity':
        task_list = event.event_attributes.get('taskList', {}).get('name')
    elif kind == 'decision':
        task_list = execution.task_list
    else:
        return
    _STATE.news.add((kind, execution.domain.name, task_list))


def _events_in_view(events):
    """Wrap WorkflowExecution.events to return only what the view selects."""
    @functools.wraps(events)
    def events_in_view(self, reverse_order=False):
        every = events(self, reverse_order=reverse_order)
        select = getattr(_VIEW, 'events', None)
        return select(every) if select else every
    return events_in_view


# -- Task lookups -------------------------------------------------------------

class _TaskIndex(object):
    """One execution's tasks of one kind, with the lookups moto scans for.

    Args:
        tasks (iterable): the tasks the execution already has.
    """

    def __init__(self, tasks=()):
        self.tasks = []
        self.by_token = {}
        self.by_activity_id = collections.defaultdict(list)
        # Tasks open when last looked at; closed ones are dropped lazily.
        self._open = []
        for task in tasks:
            self.add(task)

    def add(self, task):
        self.tasks.append(task)
        self.by_token[task.task_token] = task
        activity_id = getattr(task, 'activity_id', None)
        if activity_id is not None:
            self.by_activity_id[activity_id].append(task)
        self._open.append(task)

    def everything(self):
        return list(self.tasks)

    def open_tasks(self):
        self._open = [task for task in self._open if _is_open(task)]
        return list(self._open)

    def with_token(self, token):
        task = self.by_token.get(token)
        return [task] if task is not None else []

    def open_with_activity_id(self, activity_id):
        return [
            task for task in self.by_activity_id.get(activity_id, ())
            if _is_open(task)]


def _is_open(task):
    return task.state in _OPEN_STATES


def _index_attribute(kind):
    return '_garcon_{}_tasks'.format(kind)


def _task_index(execution, kind):
    """Return the index of an execution's tasks of a kind, built on demand."""
    attribute = _index_attribute(kind)
    index = execution.__dict__.get(attribute)
    if index is None:
        # Executions made before the fixes: index what the domain holds.
        domain_tasks = getattr(execution.domain, kind + '_tasks')
        index = _TaskIndex(
            task for task in domain_tasks
            if task.workflow_execution is execution)
        execution.__dict__[attribute] = index
    return index


@contextlib.contextmanager
def _viewing(kind, select):
    """Make an execution's ``{kind}_tasks`` (or ``events()``) return less.

    Args:
        kind (str): ``activity``, ``decision`` or ``events``.
        select (callable): gets the task index (the events) and returns
            what moto sees.
    """
    previous = getattr(_VIEW, kind, None)
    setattr(_VIEW, kind, select)
    try:
        yield
    finally:
        setattr(_VIEW, kind, previous)


def _tasks_property(kind):
    def tasks(self):
        select = getattr(_VIEW, kind, None) or _TaskIndex.everything
        return select(_task_index(self, kind))
    return property(tasks, doc='The execution\'s {} tasks.'.format(kind))


def _recording(kind, add_to_task_list):
    """Wrap Domain.add_to_{kind}_task_list to index the task by execution."""
    @functools.wraps(add_to_task_list)
    def add(self, task_list, task):
        add_to_task_list(self, task_list, task)
        index = task.workflow_execution.__dict__.get(_index_attribute(kind))
        # Without an index yet, the one built on demand will see the task.
        if index is not None:
            index.add(task)
    return add


def _with_views(method, **selectors):
    """Wrap a method to run with task views.

    Args:
        method (callable): the moto method.
        **selectors: per kind (``activity``, ``decision``), a function of
            the method's arguments returning the view's select function.
    """
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with contextlib.ExitStack() as stack:
            for kind, selector in selectors.items():
                stack.enter_context(_viewing(kind, selector(*args, **kwargs)))
            return method(*args, **kwargs)
    return wrapper


def _open_tasks(*args, **kwargs):
    return _TaskIndex.open_tasks


def _task_with_token(owner, task_token, *args, **kwargs):
    return lambda index: index.with_token(task_token)


def _fix_task_lookups(targets):
    # moto finds an execution's tasks by filtering every task of the domain,
    # and then scans them (closed ones included) to find one token or the
    # open ones: several times per call, every call. An index per execution
    # answers each of those questions directly; the methods below only ever
    # look at the tasks their view returns, so their results are unchanged.
    execution = targets['WorkflowExecution']
    domain = targets['Domain']
    backend = targets['SWFBackend']
    for kind in ('activity', 'decision'):
        setattr(execution, kind + '_tasks', _tasks_property(kind))
        name = 'add_to_{}_task_list'.format(kind)
        setattr(domain, name, _recording(kind, getattr(domain, name)))

    # Timeouts can only hit open tasks.
    execution._process_timeouts = _with_views(
        execution._process_timeouts,
        activity=_open_tasks, decision=_open_tasks)
    # Only open decision tasks get handed out by a poll.
    backend.poll_for_decision_task = _with_views(
        backend.poll_for_decision_task, decision=_open_tasks)
    # Token lookups.
    execution._find_activity_task = _with_views(
        execution._find_activity_task, activity=_task_with_token)
    execution._find_decision_task = _with_views(
        execution._find_decision_task, decision=_task_with_token)
    backend._find_activity_task_from_token = _with_views(
        backend._find_activity_task_from_token, activity=_task_with_token)
    # Its other lookups (timeouts, scheduling) bring views of their own.
    backend.respond_decision_task_completed = _with_views(
        backend.respond_decision_task_completed, decision=_task_with_token)


# -- Activity polls -----------------------------------------------------------

def _fix_activity_polls(targets):
    # moto hands out the scheduled task of a task list scheduled first, found
    # among every task the list ever had: 3,000 and more in a big fan-out,
    # at every poll. A heap per task list keeps its tasks by the order moto
    # picks them in (time scheduled, then place in the list); while moto
    # polls, the domain's task lists show it only the first still scheduled
    # of the list polled: the task it would have picked.
    domain = targets['Domain']
    domain.activity_task_lists = _ViewedTaskLists()
    add = domain.add_to_activity_task_list

    @functools.wraps(add)
    def add_to_activity_task_list(self, task_list, task):
        add(self, task_list, task)
        heaps = self.__dict__.get(_SCHEDULED)
        # Without heaps yet, the ones built on demand will see the task.
        if heaps is not None:
            _push(heaps.setdefault(task_list, []), task)

    domain.add_to_activity_task_list = add_to_activity_task_list
    backend = targets['SWFBackend']
    backend.poll_for_activity_task = _with_views(
        backend.poll_for_activity_task, activity_lists=_first_scheduled_in)


# Where a domain keeps its activity tasks that may still be scheduled: task
# list -> heap of (scheduled_at, order added, task).
_SCHEDULED = '_garcon_scheduled_activity_tasks'

_ADDED = itertools.count()


def _push(heap, task):
    heapq.heappush(heap, (task.scheduled_at, next(_ADDED), task))


class _ViewedTaskLists(object):
    """``Domain.activity_task_lists``, as the view at hand shows it."""

    def __get__(self, domain, owner=None):
        if domain is None:
            return self
        task_lists = domain.__dict__['activity_task_lists']
        select = getattr(_VIEW, 'activity_lists', None)
        return select(domain, task_lists) if select else task_lists

    def __set__(self, domain, task_lists):
        domain.__dict__['activity_task_lists'] = task_lists


def _first_scheduled_in(backend, domain_name, task_list, *args, **kwargs):
    def select(domain, task_lists):
        if domain.name != domain_name or not isinstance(task_list, str):
            return task_lists
        heaps = domain.__dict__.get(_SCHEDULED)
        if heaps is None:
            # Domains made before the fixes: start from every task.
            heaps = domain.__dict__[_SCHEDULED] = {}
            for name, tasks in task_lists.items():
                for task in tasks:
                    _push(heaps.setdefault(name, []), task)
        heap = heaps.get(task_list, [])
        # A task leaves SCHEDULED for good.
        while heap and heap[0][2].state != 'SCHEDULED':
            heapq.heappop(heap)
        return {task_list: [heap[0][2]] if heap else []}
    return select


# -- Activity id reuse --------------------------------------------------------

def _open_with_scheduled_id(execution, event_id, attributes, *args, **kwargs):
    activity_id = attributes.get('activityId')
    return lambda index: index.open_with_activity_id(activity_id)


def _fix_activity_id_reuse(workflow_execution):
    # SWF refuses an activity id only while an activity with that id is open
    # in the execution: once it closed (completed, failed, timed out,
    # canceled) the id may be scheduled again, which is how Garcon retries.
    # moto 5 checks every task the execution ever had, so every retry fails
    # with ACTIVITY_ID_ALREADY_IN_USE. While it schedules, the execution's
    # activity tasks are the open ones with the id being scheduled: that
    # check is the method's only use of them.
    workflow_execution.schedule_activity_task = _with_views(
        workflow_execution.schedule_activity_task,
        activity=_open_with_scheduled_id)


# -- Open activities limit ----------------------------------------------------

#: SWF's cause for an activity refused by :data:`MAX_OPEN_ACTIVITIES`.
OPEN_ACTIVITIES_LIMIT_EXCEEDED = 'OPEN_ACTIVITIES_LIMIT_EXCEEDED'


def _fix_open_activities_limit(targets):
    # SWF refuses to schedule an activity task while 1,000 are open in the
    # execution, with a ScheduleActivityTaskFailed event as for its other
    # causes (moto's own TODO for this cause). moto counts the open activity
    # tasks as it schedules them, so within one decision the 1,001st is
    # refused, as on SWF.
    workflow_execution = targets['WorkflowExecution']
    activity_type_class = targets['models'].ActivityType
    schedule = workflow_execution.schedule_activity_task

    @functools.wraps(schedule)
    def schedule_activity_task(self, event_id, attributes, *args, **kwargs):
        if self.open_counts['openActivityTasks'] < MAX_OPEN_ACTIVITIES:
            return schedule(self, event_id, attributes, *args, **kwargs)
        name = attributes['activityType']['name']
        version = attributes['activityType']['version']
        activity_type = self.domain.get_type(
            'activity', name, version, ignore_empty=True)
        self._add_event(
            'ScheduleActivityTaskFailed',
            activity_id=attributes['activityId'],
            activity_type=activity_type or activity_type_class(name, version),
            cause=OPEN_ACTIVITIES_LIMIT_EXCEEDED,
            decision_task_completed_event_id=event_id)
        self.should_schedule_decision_next = True
        return None

    workflow_execution.schedule_activity_task = schedule_activity_task


# -- Decision task scheduling -------------------------------------------------

def _fix_decision_task_scheduling(workflow_execution):
    # SWF keeps at most one decision task *scheduled* per execution: events
    # that arrive while one waits are decided together when it starts. moto
    # schedules another each time unless one is also started, so a decider
    # falling behind gets one decision task per event, and openDecisionTasks
    # exceeds 1 (which makes moto refuse CancelWorkflowExecution).
    schedule = workflow_execution._schedule_decision_task

    @functools.wraps(schedule)
    def schedule_decision_task(self, *args, **kwargs):
        if any(task.state == 'SCHEDULED' for task in self.decision_tasks):
            return None
        return schedule(self, *args, **kwargs)

    workflow_execution._schedule_decision_task = _with_views(
        schedule_decision_task, decision=_open_tasks)


# -- Answers to closed tasks --------------------------------------------------

def _fix_answers_to_closed_tasks(backend):
    # SWF answers UnknownResourceFault to a task answered after it closed
    # (timed out, failed); moto handles only completed ones and raises a
    # ValueError otherwise, a 500 that boto retries for minutes.
    backend._find_activity_task_from_token = _refusing_closed_tasks(
        backend._find_activity_task_from_token, 'activity', 'activity')
    backend.respond_decision_task_completed = _refusing_closed_tasks(
        backend.respond_decision_task_completed, 'decision', 'decision task')


def _refusing_closed_tasks(method, kind, label):
    @functools.wraps(method)
    def wrapper(self, task_token, *args, **kwargs):
        try:
            return method(self, task_token, *args, **kwargs)
        except ValueError:
            task = _task_with_token_in(self, kind, task_token)
            if task is None or task.state == 'STARTED':
                raise
        from moto.swf.exceptions import SWFUnknownResourceFault
        raise SWFUnknownResourceFault(
            '{}, scheduledEventId = {}'.format(label, task.scheduled_event_id))
    return wrapper


def _task_with_token_in(backend, kind, task_token):
    for domain in backend.domains:
        for execution in domain.workflow_executions:
            task = _task_index(execution, kind).by_token.get(task_token)
            if task is not None:
                return task
    return None


# -- Timers -------------------------------------------------------------------

def _fix_timer_firing(workflow_execution):
    # moto fires timers from a threading.Timer, outside any request: take the
    # lock like a request, and wake the pollers waiting for the decision task
    # the timer schedules.
    fire_timer = workflow_execution._fire_timer

    @functools.wraps(fire_timer)
    def fire(self, *args, **kwargs):
        return _serialize(lambda: fire_timer(self, *args, **kwargs))

    workflow_execution._fire_timer = fire


# -- Start times --------------------------------------------------------------

def _fix_start_timestamp(workflow_execution):
    # moto's DescribeWorkflowExecution answers a fixed startTimestamp (a
    # placeholder from 2015) while its lists give the real one.
    to_medium_dict = workflow_execution.to_medium_dict

    @functools.wraps(to_medium_dict)
    def medium_dict(self, *args, **kwargs):
        description = to_medium_dict(self, *args, **kwargs)
        if self.start_timestamp:
            description['startTimestamp'] = self.start_timestamp
        return description

    workflow_execution.to_medium_dict = medium_dict


# -- Open counts --------------------------------------------------------------

def _fix_open_counts(workflow_execution):
    # SWF's openCounts count open tasks; moto adds one per task scheduled and
    # removes it when the task completes or fails, not when it times out. A
    # timed-out decision task then counts for ever, and moto accepts a
    # CancelWorkflowExecution decision only when openDecisionTasks is 1 (the
    # decision task being answered): every cancel of the execution would
    # fail with UNHANDLED_DECISION.
    for kind in ('decision', 'activity'):
        name = 'timeout_{}_task'.format(kind)
        setattr(workflow_execution, name, _closing_open_count(
            getattr(workflow_execution, name),
            'open{}Tasks'.format(kind.capitalize())))


def _closing_open_count(timeout_task, counter):
    @functools.wraps(timeout_task)
    def timeout(self, *args, **kwargs):
        result = timeout_task(self, *args, **kwargs)
        self.open_counts[counter] = max(self.open_counts[counter] - 1, 0)
        return result
    return timeout


# -- Cancel requests ----------------------------------------------------------

#: The history event of a cancel request.
CANCEL_REQUESTED_EVENT = 'WorkflowExecutionCancelRequested'


def _add_cancel_requests(targets):
    # moto has no RequestCancelWorkflowExecution: its server answers a 500,
    # which boto retries for minutes. moto's history events refuse the types
    # they do not know: this one has no attribute moto would format.
    history_event = targets['history_event']
    supported = tuple(history_event.SUPPORTED_HISTORY_EVENT_TYPES)
    if CANCEL_REQUESTED_EVENT not in supported:
        history_event.SUPPORTED_HISTORY_EVENT_TYPES = supported + (
            CANCEL_REQUESTED_EVENT,)
    targets['SWFResponse'].request_cancel_workflow_execution = (
        _request_cancel_workflow_execution)


def _request_cancel_workflow_execution(self):
    """SWFResponse action: record a cancel request, as SWF does.

    SWF records ``WorkflowExecutionCancelRequested`` in the open execution
    (the given run, else the open run of the workflow id), marks it
    ``cancelRequested`` and schedules a decision task: the decider decides
    what a cancel means. An unknown or closed execution is an
    ``UnknownResourceFault``.
    """
    params = self._params
    domain_name, workflow_id = (
        params.get('domain'), params.get('workflowId'))
    run_id = params.get('runId') or None
    _require([('domain', domain_name), ('workflowId', workflow_id)])
    backend = self.swf_backend
    # Like every moto action: a timeout may have closed the execution.
    backend._process_timeouts()
    execution = backend._get_domain(domain_name).get_workflow_execution(
        workflow_id, run_id=run_id, raise_if_closed=True)
    # Neither cause nor externalInitiatedEventId: they are for requests made
    # by a child policy or by another execution's decision.
    execution._add_event(CANCEL_REQUESTED_EVENT)
    execution.cancel_requested = True
    execution.schedule_decision_task()
    return ''


# -- What moto does not implement -------------------------------------------

# The decisions moto's WorkflowExecution.handle_decisions applies (the same
# in moto 5.1 and 5.2); it raises NotImplementedError on the others, after
# applying the decisions before them.
_DECISIONS_MOTO_APPLIES = frozenset([
    'CompleteWorkflowExecution',
    'FailWorkflowExecution',
    'CancelWorkflowExecution',
    'ScheduleActivityTask',
    'RecordMarker',
    'StartTimer',
    'CancelTimer',
])


def _fix_unsupported_decisions(workflow_execution):
    # SWF applies a decision list whole or not at all. moto validates the
    # list, records DecisionTaskCompleted, then applies the decisions in turn
    # until one it does not implement raises: a 500 (retried by boto for
    # minutes) and a half-applied list. Refuse such a list while validating,
    # before anything is applied, naming the decision.
    validate = workflow_execution.validate_decisions

    @functools.wraps(validate)
    def validate_decisions(self, decisions, *args, **kwargs):
        validate(self, decisions, *args, **kwargs)
        for number, decision in enumerate(decisions or (), start=1):
            decision_type = decision.get('decisionType')
            if decision_type not in _DECISIONS_MOTO_APPLIES:
                raise _validation_error(
                    'The local SWF (moto {}) does not implement the {} '
                    'decision (decisions.{}); no decision of this task was '
                    'applied.'.format(
                        _moto_version(), decision_type, number))

    workflow_execution.validate_decisions = validate_decisions


#: The error type of an action the local SWF does not implement: what an AWS
#: endpoint answers to an operation it does not know.
UNKNOWN_OPERATION = 'com.amazon.coral.service#UnknownOperationException'


def _fix_unsupported_actions(swf_response):
    # moto's server answers an action it does not implement (or one that
    # reaches a part of moto that is not implemented) with a 500: boto
    # retries a 500 about ten times, for minutes, before it gives up. A 400
    # naming the action fails at once.
    call_action = swf_response.call_action

    @functools.wraps(call_action)
    def call_action_or_refuse(self, *args, **kwargs):
        try:
            return call_action(self, *args, **kwargs)
        except NotImplementedError as error:
            return _unsupported(self, error)

    swf_response.call_action = call_action_or_refuse


def _unsupported(response, error):
    """Return the 400 answer to an action moto does not implement."""
    from moto.swf.exceptions import SWFClientError
    try:
        action = response._get_action()
    except Exception:  # naming the action must not hide the error
        action = None
    refusal = SWFClientError(UNKNOWN_OPERATION, (
        'The local SWF (moto {}) does not implement {}: {}'.format(
            _moto_version(), action or 'this action', error)))
    headers = dict(response.response_headers)
    headers.update(refusal.get_headers())
    headers['status'] = str(refusal.code)
    logger.warning('Refused %s: %s', action, error)
    return refusal.code, headers, refusal.get_body()


# -- Actions: lock, long polling, paging --------------------------------------

def _fix_actions(swf_response):
    # Every SWF action moto serves is a public method of SWFResponse; run
    # each (backend call and serialization) under the one lock.
    actions = {
        name: value for name, value in vars(swf_response).items()
        if inspect.isfunction(value) and not name.startswith('_')}
    actions['poll_for_activity_task'] = _long_polled_activity_poll(
        actions['poll_for_activity_task'])
    actions['poll_for_decision_task'] = _paged_decision_poll(
        actions['poll_for_decision_task'])
    actions['get_workflow_execution_history'] = _paged_history(
        actions['get_workflow_execution_history'])
    for name, action in actions.items():
        setattr(swf_response, name, _serialized(action))


def _serialize(call):
    """Run ``call()`` under the lock; wake the polls it may have tasks for."""
    with _STATE.lock:
        try:
            return call()
        finally:
            if _STATE.news:
                _STATE.wake()


def _serialized(action):
    @functools.wraps(action)
    def serialized(self):
        return _serialize(lambda: action(self))
    return serialized


@contextlib.contextmanager
def _moto_sleep_disabled():
    # moto sleeps 1 s before answering an empty poll, to keep clients from
    # spinning; the long poll does the waiting, without holding the lock.
    from moto.swf import models
    original = models.sleep
    models.sleep = _no_sleep
    try:
        yield
    finally:
        models.sleep = original


def _no_sleep(seconds):
    pass


def _remember_server_ports(swf_response):
    # A poll waits as long as the LocalSWF that received it says, known by
    # the port the request came in on. moto 5.2 keeps the request
    # (normalized_request) but moto 5.1 does not: note the port when moto
    # reads the request, for both.
    setup_class = swf_response.setup_class

    @functools.wraps(setup_class)
    def setup_noting_the_port(self, request, *args, **kwargs):
        environ = getattr(request, 'environ', None) or {}
        self._garcon_server_port = environ.get('SERVER_PORT')
        return setup_class(self, request, *args, **kwargs)

    swf_response.setup_class = setup_noting_the_port


def _poll_timeout(response):
    """Return the poll timeout of the server that received the request."""
    try:
        port = int(getattr(response, '_garcon_server_port', None))
    except (TypeError, ValueError):
        return POLL_TIMEOUT
    return _STATE.poll_timeouts.get(port, POLL_TIMEOUT)


def _poll_until_task(poll, response, kind):
    """Long-poll: run moto's poll until it hands out a task or time is up.

    Args:
        poll (callable): moto's poll action.
        response (SWFResponse): the request being answered.
        kind (str): ``activity`` or ``decision``.

    Returns:
        dict: the decoded answer of the last poll.
    """
    deadline = time.monotonic() + _poll_timeout(response)
    params = response._params
    task_list = params.get('taskList')
    key = (kind, params.get('domain'),
           task_list.get('name') if isinstance(task_list, dict) else None)
    with _STATE.lock, _STATE.waiting_for(key) as condition:
        while True:
            with _moto_sleep_disabled():
                answer = json.loads(_serialize(lambda: poll(response)))
            remaining = deadline - time.monotonic()
            if answer.get('taskToken') or remaining <= 0:
                return answer
            # Releases the lock while waiting.
            condition.wait(min(RECHECK_INTERVAL, remaining))


def _long_polled_activity_poll(poll):
    @functools.wraps(poll)
    def poll_for_activity_task(self):
        return json.dumps(_poll_until_task(poll, self, 'activity'))
    return poll_for_activity_task


def _paged_decision_poll(poll):
    # SWF pages the history of a decision task; the next page is asked with
    # the same call plus nextPageToken, and answers with the same task.
    @functools.wraps(poll)
    def poll_for_decision_task(self):
        params = self._params
        page_size = _page_size(params)
        token = params.get('nextPageToken')
        if token:
            answer = _next_decision_page(self, params, token, page_size)
        else:
            # moto would serialize the whole history: show it one page, and
            # one event more, which tells whether more pages follow.
            with _viewing('events', _first_events(page_size + 1)):
                answer = _poll_until_task(poll, self, 'decision')
            answer = _first_decision_page(self, answer, params, page_size)
        return json.dumps(answer)
    return poll_for_decision_task


def _paged_history(get_history):
    @functools.wraps(get_history)
    def get_workflow_execution_history(self):
        params = self._params
        page_size = _page_size(params)
        domain, run_id, workflow_id = _execution_params(params)
        execution = self.swf_backend.describe_workflow_execution(
            domain, run_id, workflow_id)
        token = params.get('nextPageToken')
        if token:
            cursor = _decode_token(token, 'history')
            if cursor['execution'] != execution.to_short_dict():
                raise _validation_error('nextPageToken is for another '
                                        'execution.')
        else:
            cursor = _first_cursor(
                execution, bool(params.get('reverseOrder')), 'history')
        events, cursor = _page_events(execution, cursor, page_size)
        return json.dumps(_with_token({'events': events}, cursor))
    return get_workflow_execution_history


def _execution_params(params):
    """Return the domain, run id and workflow id of a request on an execution.

    moto 5.2 reads them with a helper (``_get_workflow_execution_params``)
    that moto 5.1 lacks: they are read here, for both.

    Raises:
        SWFValidationException: one of them is missing.
    """
    execution = params.get('execution')
    if not isinstance(execution, dict):
        execution = {}
    values = [
        ('domain', params.get('domain')),
        ('execution.runId', execution.get('runId')),
        ('execution.workflowId', execution.get('workflowId')),
    ]
    _require(values)
    return tuple(value for _, value in values)


def _require(values):
    """Refuse, as SWF does, a request missing a required parameter.

    Args:
        values (list): ``(name, value)`` pairs of the required parameters.

    Raises:
        SWFValidationException: one of them is missing or not a string.
    """
    problems = [
        "Value null at '{}' failed to satisfy constraint: Member must not "
        "be null".format(name) if value is None else
        "Value '{}' at '{}' failed to satisfy constraint: Member must be a "
        "string".format(value, name)
        for name, value in values if not isinstance(value, str)]
    if problems:
        raise _validation_error('{} validation error{} detected: {}'.format(
            len(problems), '' if len(problems) == 1 else 's',
            '; '.join(problems)))


def _page_size(params):
    size = params.get('maximumPageSize') or MAX_PAGE_SIZE
    if not isinstance(size, int) or not 0 < size <= MAX_PAGE_SIZE:
        raise _validation_error(
            "Value '{}' at 'maximumPageSize' failed to satisfy constraint: "
            'Member must have value between 0 and {}'.format(
                size, MAX_PAGE_SIZE))
    return size


def _validation_error(message):
    from moto.swf.exceptions import SWFValidationException
    return SWFValidationException(message)


def _first_cursor(execution, reverse, kind):
    """Return the cursor of a history's first page.

    A cursor pages the history as it was at the first page: ``last`` is its
    last event id, ``next`` the id of the next page's first event.
    """
    last = len(execution.events())
    return {
        'kind': kind,
        'execution': execution.to_short_dict(),
        'reverse': reverse,
        'last': last,
        'next': last if reverse else 1,
    }


def _page_events(execution, cursor, page_size):
    """Return one page of events and the cursor of the next (None at end)."""
    # moto appends events in id order: event N is at index N - 1.
    events = execution.events()
    first = cursor['next']
    if cursor['reverse']:
        low = max(first - page_size, 0)
        page = events[low:first][::-1]
        following = low if low > 0 else None
    else:
        high = min(first - 1 + page_size, cursor['last'])
        page = events[first - 1:high]
        following = high + 1 if high < cursor['last'] else None
    next_cursor = None if following is None else dict(cursor, next=following)
    return [event.to_dict() for event in page], next_cursor


def _first_events(count):
    return lambda events: list(itertools.islice(events, count))


def _first_decision_page(response, answer, params, page_size):
    """Cut moto's answer to a decision poll down to its first page.

    Args:
        response (SWFResponse): the request being answered.
        answer (dict): moto's answer, with at most one event too many.
        params (dict): the request's parameters.
        page_size (int): the page size.

    Returns:
        dict: the answer to send.
    """
    events = answer.get('events')
    if not answer.get('taskToken') or len(events) <= page_size:
        return answer
    task = {key: value for key, value in answer.items() if key != 'events'}
    execution = _execution(
        response, params['domain'], task['workflowExecution'])
    cursor = _first_cursor(
        execution, bool(params.get('reverseOrder')), 'decision')
    cursor.update(
        domain=params['domain'], task=task,
        next=events[page_size]['eventId'])
    return _with_token(dict(task, events=events[:page_size]), cursor)


def _next_decision_page(response, params, token, page_size):
    cursor = _decode_token(token, 'decision')
    if cursor['domain'] != params['domain']:
        raise _validation_error('nextPageToken is for another domain.')
    execution = _execution(response, params['domain'], cursor['execution'])
    events, next_cursor = _page_events(execution, cursor, page_size)
    return _with_token(dict(cursor['task'], events=events), next_cursor)


def _execution(response, domain, ids):
    return response.swf_backend._get_domain(domain).get_workflow_execution(
        ids['workflowId'], run_id=ids['runId'])


def _with_token(answer, cursor):
    if cursor is not None:
        answer['nextPageToken'] = _encode_token(cursor)
    return answer


def _encode_token(cursor):
    text = json.dumps(cursor, sort_keys=True, separators=(',', ':'))
    return base64.urlsafe_b64encode(text.encode('utf-8')).decode('ascii')


def _decode_token(token, kind):
    # The token carries the direction and the snapshot of the first page:
    # SWF wants the same arguments on every page of a history.
    try:
        cursor = json.loads(base64.urlsafe_b64decode(token.encode('ascii')))
    except (ValueError, TypeError, AttributeError):
        cursor = None
    if not isinstance(cursor, dict) or cursor.get('kind') != kind:
        raise _validation_error('Invalid nextPageToken.')
    return cursor
