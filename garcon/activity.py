"""Activity.

Activities are made with :func:`create` and hold the tasks to perform. They
sit between the decider, which schedules them, and their tasks, which their
runner runs. Two task runners are available: :class:`~garcon.runner.Sync`
and :class:`~garcon.runner.Async`. For anything more specific, write your
own runner, or a main task that splits the work.

Create an activity::

    from garcon import activity
    from garcon import runner

    domain = 'dev'
    name = 'workflow_name'
    create = activity.create(domain, name)

    initial_activity = create(
        # Name of your activity.
        name='activity_name',

        # Tasks to run (here with the Sync runner).
        run=runner.Sync(task1),

        # No requirement since it is the first one. Later in your flow, to
        # depend on an activity, list it.
        requires=[],

        # If the activity fails, the number of times to retry it.
        retry=0,

        # To run the activity `n` times, give generators.
        generators=[generator_name])
"""

import itertools
import json
import logging
import threading
import time
import traceback

from boto.swf import layer2

from garcon import connection
from garcon import context as garcon_context
from garcon import instances as flow_instances
from garcon import log
from garcon import runner as garcon_runner
from garcon import utils

ACTIVITY_STANDBY = 0
ACTIVITY_SCHEDULED = 1
ACTIVITY_COMPLETED = 2
ACTIVITY_FAILED = 3

DEFAULT_ACTIVITY_SCHEDULE_TO_START = 600  # 10 minutes

# SWF's limits on the fields of a response.
MAX_REASON_LENGTH = 256
MAX_DETAILS_LENGTH = 32768
MAX_RESULT_LENGTH = 32768

logger = logging.getLogger(log.LOGGER_PREFIX)

CREATE_OPTIONS = frozenset([
    'name', 'requires', 'retry', 'generators', 'run', 'tasks',
    'schedule_to_start', 'on_exception', 'external', 'timeout', 'heartbeat'])


class ActivityInstanceNotReadyException(Exception):
    """Exception when an activity instance is not ready.

    Activity instances that are considered not ready are instances that have
    not completed.
    """


class ActivityDefinitionError(TypeError, ValueError):
    """An option given to :func:`create` is invalid."""


class ActivityRetryExceeded(Exception):
    """An activity instance failed more often than its ``retry`` allows."""


class ActivityInstance(object):
    """One run of an activity, for one local (generator) context.

    Args:
        activity_worker (Activity): the activity.
        local_context (dict): the generator values of this instance.
        execution_context (dict): the context of the execution.
    """

    #: The number of instances of the activity in the current context.
    pool_size = 1

    def __init__(
            self, activity_worker, local_context=None, execution_context=None):
        self.activity_worker = activity_worker
        self.local_context = local_context or {}
        self.execution_context = execution_context or {}
        self._id = None
        self._global_context = None

    @property
    def global_context(self):
        """dict: the execution context updated with the local context.

        Built when first read: a decision reads it only for the instances
        it schedules, and copying the context for every instance would make
        a decision cost instances x context keys.
        """
        if self._global_context is None:
            self._global_context = dict(self.execution_context)
            self._global_context.update(self.local_context)
        return self._global_context

    @global_context.setter
    def global_context(self, value):
        self._global_context = value

    @property
    def activity_name(self):
        """Return the activity name of the worker."""
        return self.activity_worker.name

    @property
    def id(self):
        """Generate the id of the activity instance.

        The id is crucial: it identifies the instance in the history (if it
        has been scheduled, has failed or has completed). It is
        ``'{activity name}-1'`` for an activity without generator, else
        ``'{activity name}-{key}'`` where ``key`` is
        :func:`~garcon.utils.create_dictionary_key` of the local context.
        It is computed once (a SHA-1 per instance is much of what a
        decision over a large fan-out costs).

        Returns:
            str: the id.
        """
        if self._id is None:
            key = 1
            if self.local_context:
                key = utils.create_dictionary_key(self.local_context)
            self._id = '{}-{}'.format(self.activity_name, key)
        return self._id

    @property
    def retry(self):
        """Return the number of retries allowed (matches the worker.)"""
        return self.activity_worker.retry

    @property
    def runner(self):
        """Shortcut to get access to the runner.

        Raises:
            runner.RunnerMissing: the activity has no runner (its timeouts
                cannot be computed without one).

        Returns:
            Runner: the activity runner.
        """
        return self.activity_worker.get_runner()

    @property
    def timeout(self):
        """Return the start-to-close timeout in seconds.

        It is the sum of the timeouts of the runner's tasks.

        Returns:
            int: the timeout.
        """
        return int(self.runner.timeout(self.global_context))

    @property
    def heartbeat_timeout(self):
        """Return the heartbeat timeout in seconds.

        It is the largest heartbeat of the runner's tasks: the activity must
        signal SWF that it is still running within this delay.

        Returns:
            int: the heartbeat timeout.
        """
        return int(self.runner.heartbeat(self.global_context))

    @property
    def schedule_to_start(self):
        """Return the schedule-to-start timeout in seconds.

        SWF does not tell how many workers are available, so this assumes a
        single one: with a schedule-to-start of 5 minutes and 10 instances,
        each instance may wait 50 minutes.

        Returns:
            int: the timeout.
        """
        return self.pool_size * self.activity_worker.schedule_to_start

    @property
    def schedule_to_close(self):
        """Return the schedule-to-close timeout in seconds.

        It is the schedule-to-start timeout plus the start-to-close one.

        Returns:
            int: the timeout.
        """
        return self.schedule_to_start + self.timeout

    def create_execution_input(self):
        """Create the input of the activity from the context.

        SWF limits an input to 32,768 characters. When every task of the
        runner is filled (:func:`garcon.task.decorate`), only the context
        keys they read (those whose value is not None) and the
        ``execution.*`` keys are sent; otherwise the whole context is.

        Returns:
            dict: the input to send to the activity.
        """
        try:
            keys = self.runner.requirements(self.global_context)
        except garcon_runner.NoRunnerRequirementsFound:
            return dict(self.global_context)

        keys.update(garcon_context.EXECUTION_KEYS)
        return self._input_of(keys)

    def _input_of(self, keys):
        """Return the input made of these keys of the global context
        (those whose value is not None)."""
        if self._global_context is not None:
            context = self._global_context
            return {key: context[key] for key in keys
                    if context.get(key) is not None}
        # The global context without its copy: the local context first.
        local, context = self.local_context, self.execution_context
        activity_input = {}
        for key in keys:
            value = local[key] if key in local else context.get(key)
            if value is not None:
                activity_input[key] = value
        return activity_input


class ActivityState(object):
    """The state of one activity instance in an execution.

    Tells if the instance is scheduled, has failed or has completed, and
    holds its result.

    Args:
        activity_id (str): the id of the activity instance.
    """

    # Defaults for what most states never get: a history makes one state
    # per activity instance, each at the cost of its __init__.
    failure_reason = None
    _result = None
    _has_result = False
    _encoded_result = None
    # The activity type's name, given by garcon.event.History.
    _type_name = None

    def __init__(self, activity_id):
        self.activity_id = activity_id
        self.states = []

    def get_last_state(self):
        """Get the last state of the activity execution.

        Returns:
            int: the state (see the ``ACTIVITY_*`` constants), or None.
        """
        if not self.states:
            return None
        return self.states[-1]

    def add_state(self, state):
        """Add a state in the activity execution.

        Args:
            state (int): the state to add (an ``ACTIVITY_*`` constant).
        """
        self.states.append(state)

    @property
    def ready(self):
        """Check if an activity is ready (completed)."""
        return self.get_last_state() == ACTIVITY_COMPLETED

    @property
    def result(self):
        """Get the result.

        Raises:
            ActivityInstanceNotReadyException: the activity has not
                completed.
        """
        self.wait()
        if self._encoded_result is not None:
            self._result = garcon_context.decode_result(
                self._encoded_result)
            self._encoded_result = None
        return self._result

    def set_result(self, result):
        """Set the result of the activity.

        An activity id can only have one result.

        Args:
            result (dict): result of the activity.

        Raises:
            ValueError: a result was already set.
        """
        self._check_no_result()
        self._result = result
        self._has_result = True

    def set_encoded_result(self, text):
        """Set the result of the activity as SWF holds it (JSON text).

        It is decoded (``{}`` when empty) when first read: deciders that
        read the history rarely read every result.

        Args:
            text (str): the JSON result, or None.

        Raises:
            ValueError: a result was already set.
        """
        self._check_no_result()
        if text:
            self._encoded_result = text
        else:
            self._result = {}
        self._has_result = True

    def _check_no_result(self):
        if self._has_result:
            raise ValueError(
                'Activity {} already has a result.'.format(self.activity_id))

    def wait(self):
        """Wait until ready.

        There is nothing to wait for within a decision: if the activity has
        not completed, the decision cannot go on.

        Raises:
            ActivityInstanceNotReadyException: the activity has not
                completed.
        """
        if not self.ready:
            raise ActivityInstanceNotReadyException(
                'Activity {} has not completed.'.format(self.activity_id))

    def __repr__(self):
        return 'ActivityState({!r}, states={!r})'.format(
            self.activity_id, self.states)


def count_activity_failures(states):
    """Count the number of times an activity has failed.

    Args:
        states (ActivityState|dict): the state of an instance, or a dict of
            instance states (their failures are added up).

    Returns:
        int: the number of failures.
    """
    if isinstance(states, dict):
        return sum(count_activity_failures(s) for s in states.values())
    return states.states.count(ACTIVITY_FAILED)


def is_available(instance, state, activity_id=None):
    """Tell whether an activity instance should be scheduled now.

    An instance is to schedule when it has no state yet, or when it last
    failed and has retries left (``retry`` >= failures; a ``retry`` of 0
    means no retry).

    Args:
        instance (ActivityInstance): the instance.
        state (ActivityState): its state, or None.
        activity_id (str): the id it is scheduled with, for messages
            (defaults to the instance id).

    Returns:
        bool: if it should be scheduled.

    Raises:
        ActivityRetryExceeded: it failed more often than ``retry`` allows.
    """
    if state is None:
        return True
    if state.get_last_state() != ACTIVITY_FAILED:
        return False
    failures = count_activity_failures(state)
    if failures <= instance.retry:
        return True
    raise ActivityRetryExceeded(
        'Activity {} failed {} time(s), more than its retry={} allows '
        '(last: {}; instance {}).'.format(
            instance.activity_name, failures, instance.retry,
            state.failure_reason, activity_id or instance.id))


class Activity(layer2.ActivityWorker, log.GarconLogger,
               connection.LazyConnection):
    """An activity of a flow, and its worker.

    Activities are made by :func:`create`. As a worker, ``run`` polls the
    activity's task list, runs the tasks of each activity task it gets and
    reports the result to SWF.

    Its connection to SWF is made on first use (see
    :mod:`garcon.connection`).
    """

    version = '1.0'
    task_list = None

    def __init__(self, **kwargs):
        # boto's layer2 would connect here; the connection is lazy instead.
        for key in ('aws_access_key_id', 'aws_secret_access_key'):
            if layer2.DEFAULT_CREDENTIALS.get(key):
                setattr(self, key, layer2.DEFAULT_CREDENTIALS[key])
        self.requires = []
        self.retry = 0
        self.generators = []
        self.runner = None
        self.on_exception = None
        self.schedule_to_start = DEFAULT_ACTIVITY_SCHEDULE_TO_START
        for key, value in kwargs.items():
            setattr(self, key, value)

    def hydrate(self, data):
        """Hydrate the activity with the information provided.

        Args:
            data (dict): the data to use (if defined): ``name``,
                ``domain``, ``task_list``, ``version``, ``requires``,
                ``retry``, ``generators``, ``run`` (or ``tasks``),
                ``schedule_to_start`` and ``on_exception``.
        """
        self.name = data.get('name') or self.name
        self.domain = data.get('domain') or self.domain
        self.task_list = data.get('task_list') or self.task_list
        self.version = data.get('version') or self.version
        self.requires = list(data.get('requires') or self.requires)
        self.retry = data.get('retry') or self.retry
        self.generators = list(data.get('generators') or self.generators)
        self.runner = data.get('run') or data.get('tasks') or self.runner
        self.on_exception = data.get('on_exception') or self.on_exception
        self.schedule_to_start = (
            data.get('schedule_to_start') or self.schedule_to_start)

    def get_runner(self):
        """Return the runner.

        Raises:
            runner.RunnerMissing: the activity has no runner.
        """
        if self.runner is None:
            raise garcon_runner.RunnerMissing(
                'Activity {} has no runner: give it `run=` (for example '
                'runner.Sync(task)).'.format(self.name))
        return self.runner

    def instances(self, context):
        """Get all instances for one activity based on the current context.

        Without generator there is one instance. Generators consume the
        context to tell how many instances are needed: one per combination
        of their outputs (the cartesian product), each combination merged
        into the instance's local context. All instances are returned,
        whatever their state.

        Args:
            context (dict): the current context.

        Returns:
            list: all the instances of the activity for this context.
        """
        if not self.generators:
            return [ActivityInstance(self, execution_context=dict(context))]

        outputs = [self._generate(generator, context)
                   for generator in self.generators]
        # Generators may change the context: instances see it as it is once
        # their own generators have run.
        snapshot = dict(context)
        instances = {}
        for combination in itertools.product(*outputs):
            local_context = {}
            for values in combination:
                local_context.update(values)
            instance = ActivityInstance(
                self, local_context=local_context, execution_context=snapshot)
            instances.setdefault(instance.id, instance)

        pool_size = len(instances)
        for instance in instances.values():
            instance.pool_size = pool_size
        return list(instances.values())

    def _generate(self, generator, context):
        values = list(generator(context))
        for value in values:
            if not isinstance(value, dict):
                raise TypeError(
                    'Generator {} of activity {} yielded a {}: generators '
                    'yield dicts.'.format(
                        getattr(generator, '__name__', generator), self.name,
                        type(value).__name__))
        return values

    def execute_activity(self, context):
        """Execute the runner.

        Args:
            context (dict): the flow context.

        Returns:
            dict: the result of the tasks.
        """
        return self.get_runner().execute(self, context)

    def poll_for_activity(self, identity=None):
        """Runs Activity Poll.

        A throttled poll is retried (up to 5 tries, with exponential backoff
        and full jitter), as is every other SWF call (see
        :mod:`garcon.connection`).

        Args:
            identity (str): identity of the worker making the request,
                recorded in the ActivityTaskStarted event.

        Returns:
            dict: the activity task (an empty ``taskToken`` when none came).
        """
        return self.poll(identity=identity)

    def poll(self, **kwargs):
        """PollForActivityTask (boto's), noting when a task came.

        SWF starts the task's heartbeat clock when it hands the task out:
        the poll's answer counts as the task's first sign of life (see
        :meth:`heartbeat`).
        """
        task = super(Activity, self).poll(**kwargs)
        if task.get('taskToken'):
            self._heard_of_task(task['taskToken'], {'cancelRequested': False})
        return task

    def heartbeat(self, task_token=None, details=None):
        """RecordActivityTaskHeartbeat, unless SWF heard of the task just now.

        The runners heartbeat before each task; for a short activity that is
        one SWF call per task which tells SWF nothing new: the task started,
        or last heartbeat, a moment ago. A heartbeat without details sent
        within :data:`HEARTBEAT_GRACE` seconds of the task's start or last
        heartbeat is not sent again, and the answer SWF gave then (a task
        just handed out has no cancel request) is returned instead. A
        heartbeat with details is always sent.

        Args:
            task_token (str): the task (defaults to the last one polled).
            details (str): details to record with the heartbeat.

        Returns:
            dict: SWF's answer, ``{'cancelRequested': bool}``.
        """
        token = self.last_tasktoken if task_token is None else task_token
        heard = getattr(self, '_last_heard', None)
        if (details is None and heard and heard[0] == token
                and time.monotonic() - heard[1] < HEARTBEAT_GRACE):
            return heard[2]
        answer = super(Activity, self).heartbeat(
            task_token=token, details=details)
        self._heard_of_task(token, answer)
        return answer

    def _heard_of_task(self, task_token, answer):
        # One tuple, replaced whole: Async runners heartbeat from threads.
        self._last_heard = (task_token, time.monotonic(), answer)

    def run(self, identity=None):
        """Activity Runner.

        Polls SWF for an activity task, runs it with the input it carries
        (the context) and reports its result, or its failure. Errors are
        reported to ``on_exception`` and logged; they never stop the loop.

        Args:
            identity (str): identity of the worker making the request,
                recorded in the ActivityTaskStarted event.

        Returns:
            bool: True, so that :func:`worker_runner` keeps looping.
        """
        try:
            activity_task = self.poll_for_activity(identity=identity)
        except Exception as error:
            self.report_exception(error)
            pause_after_poll_error()
            return True

        if activity_task.get('taskToken'):
            self.process_activity_task(activity_task)
        return True

    def process_activity_task(self, activity_task):
        """Run one activity task and report how it went to SWF.

        Args:
            activity_task (dict): the task given by a poll.
        """
        task_token = activity_task['taskToken']
        try:
            context = decode_activity_input(activity_task.get('input'))
            self.set_log_context(context)
            result = encode_activity_result(self.execute_activity(context))
        except Exception as error:
            self.logger.exception('Activity %s failed.', self.name)
            self.respond_failure(task_token, error)
            self.report_exception(error)
        else:
            self.respond_completed(task_token, result)
        finally:
            self.unset_log_context()

    def respond_completed(self, task_token, result):
        """Report the activity task as completed."""
        try:
            self.complete(task_token=task_token, result=result)
        except Exception as error:
            self.logger.exception(
                'Activity %s: SWF refused the completion.', self.name)
            self.report_exception(error)

    def respond_failure(self, task_token, error):
        """Report the activity task as failed.

        The reason is the error (cut to SWF's 256 characters), the details
        hold the traceback (cut to 32,768).
        """
        reason = describe_error(error)[:MAX_REASON_LENGTH]
        details = ''.join(traceback.format_exception(
            type(error), error, error.__traceback__))[-MAX_DETAILS_LENGTH:]
        try:
            self.fail(task_token=task_token, reason=reason, details=details)
        except Exception as response_error:
            self.logger.exception(
                'Activity %s: SWF refused the failure.', self.name)
            self.report_exception(response_error)

    def report_exception(self, error):
        """Give an error to ``on_exception`` (if any) and log it."""
        self.logger.error('Activity %s: %s', self.name, describe_error(error))
        if self.on_exception:
            try:
                self.on_exception(self, error)
            except Exception:
                self.logger.exception(
                    'The on_exception handler of activity %s failed.',
                    self.name)

    def __repr__(self):
        return '<{} {!r}>'.format(type(self).__name__, self.name)


#: Seconds after a task's start or last heartbeat during which a heartbeat
#: without details is not sent again (see :meth:`Activity.heartbeat`). Small
#: next to SWF's shortest heartbeat timeout (1 s): skipping one costs the
#: task at most this much of its heartbeat timeout.
HEARTBEAT_GRACE = 0.01

#: Seconds a worker waits after a failed poll before polling again: a poll
#: that keeps failing (an unknown domain, say) must not spin.
POLL_ERROR_PAUSE = 1.0


def pause_after_poll_error():
    """Wait a little after a failed poll (see :data:`POLL_ERROR_PAUSE`)."""
    time.sleep(POLL_ERROR_PAUSE)


def describe_error(error):
    """Return a one-line description of an error: its type and message."""
    message = str(error)
    name = type(error).__name__
    return '{}: {}'.format(name, message) if message else name


def decode_activity_input(text):
    """Decode the input of an activity task (a JSON object)."""
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError(
            'The activity input is a {}, not a JSON object.'.format(
                type(value).__name__))
    return value


def encode_activity_result(result):
    """Encode an activity result for SWF.

    Raises:
        TypeError: the result cannot be written as JSON.
        ValueError: the result is over SWF's 32,768 characters.
    """
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as error:
        raise TypeError('The activity result is not JSON-serializable: '
                        '{}'.format(error))
    if len(text) > MAX_RESULT_LENGTH:
        raise ValueError(
            'The activity result is {:,} characters long, over SWF\'s '
            'limit of {:,}.'.format(len(text), MAX_RESULT_LENGTH))
    return text


class ExternalActivity(Activity):
    """An activity run outside Garcon.

    SWF lets activities be written in any language. An external activity is
    part of a Garcon flow (Garcon schedules it, computes its timeouts and
    sends it the context) but some other worker runs it.

    Args:
        timeout (int): the activity's timeout in seconds (required).
        heartbeat (int): its heartbeat timeout (defaults to the timeout).
    """

    def __init__(self, timeout=None, heartbeat=None):
        super(ExternalActivity, self).__init__()
        self.runner = garcon_runner.External(
            timeout=timeout, heartbeat=heartbeat)

    def run(self, identity=None):
        """Run the external activity.

        It is run outside Garcon: return False so that the run loop stops.
        """
        return False


def worker_runner(worker):
    """Run indefinitely the worker.

    Args:
        worker (object): the Activity worker.
    """
    while worker.run():
        continue


class ActivityWorker(object):
    """Run the workers of a flow's activities, one thread each.

    Args:
        flow (module): the flow.
        activities (list): names of the activities to run (all of them by
            default); the full name (``'{flow}_{activity}'``) or the name
            given to ``create``.
    """

    def __init__(self, flow, activities=None):
        # garcon.flow imports this module: import it when it is needed.
        from garcon import flow as garcon_flow
        self.flow = flow
        self.activities = garcon_flow.validate(flow)
        if activities:
            self.activities = select_activities(
                flow, self.activities, activities)

    def run(self):
        """Run the activities."""
        threads = [
            threading.Thread(
                target=worker_runner, args=(activity,), name=activity.name,
                daemon=True)
            for activity in self.activities]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def select_activities(flow, activities, names):
    """Keep the activities named in ``names``.

    Raises:
        ValueError: a name is not an activity of the flow.
    """
    prefix = '{}_'.format(getattr(flow, 'name', ''))
    by_name = {}
    for activity in activities:
        by_name[activity.name] = activity
        if activity.name.startswith(prefix):
            by_name[activity.name[len(prefix):]] = activity
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ValueError('No activity named {} in flow {}.'.format(
            ', '.join(unknown), getattr(flow, 'name', flow)))
    selected = []
    for name in names:
        if by_name[name] not in selected:
            selected.append(by_name[name])
    return selected


def create(domain, name, version='1.0', on_exception=None):
    """Helper method to create Activities.

    The helper sets the domain, the task list (and name) of each activity,
    and its requirements (the activities to complete before it can run).

    The activity name, which is also its task list, is
    ``'{name}_{activity name}'``: always make sure activity names are
    unique within a flow.

    Args:
        domain (str): the domain name.
        name (str): name of the flow.
        version (str): activity version.
        on_exception (callable): the error handler, called as
            ``on_exception(activity, error)``.

    Returns:
        callable: the activity factory, taking the options of an activity
        (``name``, ``requires``, ``retry``, ``generators``, ``run`` or
        ``tasks``, ``schedule_to_start``, ``on_exception``, and
        ``external=True`` with ``timeout`` and ``heartbeat``).
    """
    def create_activity(**options):
        activity_name = _check_name(options.get('name'))
        full_name = '{}_{}'.format(name, activity_name)
        _check_options(full_name, options)

        if options.get('external'):
            activity = ExternalActivity(
                timeout=options.get('timeout'),
                heartbeat=options.get('heartbeat'))
        else:
            activity = Activity()

        data = dict(options)
        data.update(
            name=full_name, domain=domain, task_list=full_name,
            version=version,
            on_exception=options.get('on_exception', on_exception))
        activity.hydrate(data)
        return activity

    return create_activity


def _check_name(activity_name):
    if not isinstance(activity_name, str) or not activity_name:
        raise ActivityDefinitionError(
            'An activity needs a `name` (a non-empty string), got {!r}.'
            .format(activity_name))
    return activity_name


def _check_options(full_name, options):
    """Refuse invalid options, with a message naming the activity."""
    def refuse(option, expected, value):
        raise ActivityDefinitionError(
            'Activity {}: option `{}` must be {}, got {!r}.'.format(
                full_name, option, expected, value))

    for option in sorted(set(options) - CREATE_OPTIONS):
        hint = ' (did you mean `generators`?)' if option == 'generator' else ''
        logger.warning(
            'Activity %s: unknown option `%s` is ignored%s.',
            full_name, option, hint)

    requires = options.get('requires') or []
    if not isinstance(requires, (list, tuple)):
        refuse('requires', 'a list of activities', requires)
    for required in requires:
        if not isinstance(required, Activity):
            refuse('requires', 'a list of activities (made by create)',
                   required)

    retry = options.get('retry', 0)
    if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
        refuse('retry', 'an integer >= 0', retry)

    generators = options.get('generators') or []
    if not isinstance(generators, (list, tuple)):
        refuse('generators', 'a list of callables', generators)
    for generator in generators:
        if not callable(generator):
            refuse('generators', 'a list of callables', generator)

    for option in ('run', 'tasks'):
        runner = options.get(option)
        execute = getattr(runner, 'execute', None)
        if runner is not None and not callable(execute):
            refuse(option, 'a runner (such as runner.Sync(...))', runner)

    schedule_to_start = options.get('schedule_to_start')
    if schedule_to_start is not None and not _is_positive_int(
            schedule_to_start):
        refuse('schedule_to_start', 'a number of seconds > 0',
               schedule_to_start)

    on_exception = options.get('on_exception')
    if on_exception is not None and not callable(on_exception):
        refuse('on_exception', 'a callable', on_exception)

    if options.get('external'):
        if not _is_positive_int(options.get('timeout')):
            refuse('timeout', 'a number of seconds > 0 (external activities '
                   'require it)', options.get('timeout'))
        heartbeat = options.get('heartbeat')
        if heartbeat is not None and not _is_positive_int(heartbeat):
            refuse('heartbeat', 'a number of seconds > 0', heartbeat)


def _is_positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def find_workflow_activities(flow):
    """Retrieves all the activities from a flow.

    The activities are the flow's attributes that are :class:`Activity`
    instances, in ``dir()`` order (each once).

    Args:
        flow (module): the flow module.

    Returns:
        list: all the activities.
    """
    activities = []
    for attribute in dir(flow):
        value = getattr(flow, attribute)
        if isinstance(value, Activity) and value not in activities:
            activities.append(value)
    return activities


def find_activities(flow, context):
    """Retrieves all the activity instances of a flow.

    Args:
        flow (module): the flow module.
        context (dict): the current context.

    Returns:
        list: all the activity instances of the flow.
    """
    return [
        instance
        for activity in find_workflow_activities(flow)
        for instance in activity.instances(context)]


def find_uncomplete_activities(flow, history, context):
    """Find uncomplete activity instances.

    Uncomplete activities are all the activity instances that are not
    marked as completed.

    Args:
        flow (module): the flow module.
        history (dict): the activity states (see
            :func:`garcon.event.activity_states_from_events`).
        context (dict): the current context.

    Yields:
        ActivityInstance: an uncomplete instance.
    """
    instances = flow_instances.FlowInstances(flow, history, context)
    for instance in instances.uncomplete():
        yield instance


def find_available_activities(flow, history, context):
    """Find all available activity instances of a flow.

    An instance is available when every activity it requires has completed
    all of its instances, and it has no state yet or has failed with retries
    left (see :func:`is_available`).

    Args:
        flow (module): the flow module.
        history (dict): the activity states (see
            :func:`garcon.event.activity_states_from_events`).
        context (dict): the current context.

    Yields:
        ActivityInstance: an available instance.

    Raises:
        ActivityRetryExceeded: an instance failed beyond its retries.
    """
    instances = flow_instances.FlowInstances(flow, history, context)
    for instance in instances.available():
        yield instance
