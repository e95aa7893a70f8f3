"""Task runners.

The task runners run all the tasks of an activity, either in series
(:class:`Sync`) or in parallel (:class:`Async`). There is one task runner
per activity. They also tell how long the activity may take: its timeout
and heartbeat timeout are computed from its tasks.
"""

from concurrent import futures
import inspect
import json

from garcon import task as garcon_task

DEFAULT_TASK_TIMEOUT = 600  # 10 minutes.
DEFAULT_TASK_HEARTBEAT = 600  # 10 minutes.


class NoRunnerRequirementsFound(Exception):
    """A task of the runner does not say which context keys it needs."""


class RunnerMissing(Exception):
    """An activity has no runner."""


def call_task(task, context, activity):
    """Call one task and return its result as a dictionary.

    A task is called as ``task(context, activity=activity)``. A callable
    declaring both ``activity`` and ``context`` arguments is called with
    both as keywords, so ``lambda activity, context: ...`` works too.

    Args:
        task (callable): the task.
        context (dict): the context the task sees.
        activity (Activity): the activity running the task.

    Returns:
        dict: what the task returned (an empty dict for None).

    Raises:
        TypeError: the task returned something other than a dict or None.
    """
    if _takes_keywords(task, 'activity', 'context'):
        result = task(context=context, activity=activity)
    else:
        result = task(context, activity=activity)

    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(
            'Task {} returned a {}: a task returns a dict (or None).'.format(
                garcon_task.task_name(task), type(result).__name__))
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        raise TypeError(
            'Task {} returned a result that is not JSON-serializable: {}'
            .format(garcon_task.task_name(task), error))
    return result


def _takes_keywords(fn, *names):
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return all(name in parameters for name in names)


class BaseRunner(object):
    """Base class of the task runners.

    Args:
        *args: the tasks (callables, or task lists made with
            :func:`garcon.task.list`).
    """

    def __init__(self, *args):
        self.tasks = args

    def flatten(self, context=None):
        """Return the list of tasks to run for this context."""
        return list(garcon_task.flatten(self.tasks, context))

    def timeout(self, context=None):
        """Calculate and return the timeout for an activity.

        The calculation is pessimistic: it takes the worst case (even for
        asynchronous task lists, it supposes one task runs at a time), the
        sum of the timeouts of the tasks (600 seconds for a task without
        one).

        Returns:
            str: the timeout in seconds (boto requires a string).
        """
        return str(sum(
            garcon_task.get_timeout(task, DEFAULT_TASK_TIMEOUT)
            for task in self.flatten(context)))

    def heartbeat(self, context=None):
        """Calculate and return the heartbeat for an activity.

        The heartbeat says how long an activity may go without telling SWF
        it is still running; a heartbeat is sent every time a task starts.
        Like :meth:`timeout`, it is pessimistic: it is the largest heartbeat
        of the tasks (600 seconds for a task without one).

        Returns:
            str: the heartbeat timeout in seconds (boto requires a string).
        """
        return str(max(
            [garcon_task.get_heartbeat(task, DEFAULT_TASK_HEARTBEAT)
             for task in self.flatten(context)] or [DEFAULT_TASK_HEARTBEAT]))

    def requirements(self, context):
        """Find all the requirements from the list of tasks and return it.

        If a task is not filled (see :func:`garcon.task.contextify`), no
        assumption can be made on which values of the context it uses.

        Returns:
            set: the context keys the tasks read.

        Raises:
            NoRunnerRequirementsFound: a task does not list its requirements.
        """
        keys = set()
        for task in self.flatten(context):
            params = garcon_task.get_requirements(task)
            if params is None:
                raise NoRunnerRequirementsFound(
                    'Task {} does not list the context keys it needs.'.format(
                        garcon_task.task_name(task)))
            keys.update(_requirement_keys(params))
        return keys

    def execute(self, activity, context):
        """Execute the tasks and return the merge of their results."""
        raise NotImplementedError()


def context_free(runner):
    """Tell whether a runner's tasks, and so its timeouts and requirements,
    are the same in every context.

    They are when no task is a task list (:func:`garcon.task.list` reads
    the context to yield its tasks) and the runner finds its tasks,
    timeouts and requirements as Garcon's runners do: a runner of one's own
    may read the context its own way. A decider computes them once per
    activity then, not once per instance.

    Args:
        runner (BaseRunner): the runner.

    Returns:
        bool: whether the context cannot change them.
    """
    kind = type(runner)
    if not (kind.flatten is BaseRunner.flatten
            and kind.timeout in _OWN_TIMEOUTS
            and kind.heartbeat in _OWN_HEARTBEATS
            and kind.requirements in _OWN_REQUIREMENTS):
        return False
    return not any(garcon_task.is_task_list(task) for task in runner.tasks)


def _requirement_keys(params):
    for value in params.values():
        for key in value.requirements:
            yield key


class Sync(BaseRunner):
    """Run the tasks one after the other.

    A heartbeat is sent before each task, and each task sees the context
    updated with the results of the tasks before it.
    """

    def execute(self, activity, context):
        result = {}
        for task in self.flatten(context):
            activity.heartbeat()
            task_context = dict(context)
            task_context.update(result)
            result.update(call_task(task, task_context, activity))
        return result


class Async(BaseRunner):
    """Run the tasks in parallel, in a pool of threads.

    Each task sees the context of the activity; a heartbeat is sent as each
    task finishes.

    Args:
        *args: the tasks.
        max_workers (int): the size of the thread pool (default 3).
    """

    def __init__(self, *args, **kwargs):
        self.max_workers = kwargs.pop('max_workers', 3)
        if kwargs:
            raise TypeError('Async got unexpected arguments: {}.'.format(
                ', '.join(sorted(kwargs))))
        super(Async, self).__init__(*args)

    def execute(self, activity, context):
        result = {}
        with futures.ThreadPoolExecutor(
                max_workers=self.max_workers) as executor:
            pending = [
                executor.submit(call_task, task, dict(context), activity)
                for task in self.flatten(context)]
            for future in futures.as_completed(pending):
                activity.heartbeat()
                result.update(future.result())
        return result


class External(BaseRunner):
    """The runner of an activity run outside Garcon (see
    :class:`~garcon.activity.ExternalActivity`).

    Args:
        timeout (int): the activity's timeout in seconds.
        heartbeat (int): its heartbeat timeout (defaults to the timeout).
    """

    def __init__(self, timeout=None, heartbeat=None):
        super(External, self).__init__()
        self._timeout = timeout
        self._heartbeat = heartbeat or timeout

    def timeout(self, context=None):
        return str(self._timeout)

    def heartbeat(self, context=None):
        return str(self._heartbeat)

    def requirements(self, context):
        """An external activity receives the whole context.

        Raises:
            NoRunnerRequirementsFound: always; its worker's needs are
                unknown.
        """
        raise NoRunnerRequirementsFound(
            'An external activity receives the whole context.')

    def execute(self, activity, context):
        raise NotImplementedError(
            'An external activity is run by a worker outside Garcon.')


# What context_free trusts not to read the context beyond the task lists.
_OWN_TIMEOUTS = (BaseRunner.timeout, External.timeout)
_OWN_HEARTBEATS = (BaseRunner.heartbeat, External.heartbeat)
_OWN_REQUIREMENTS = (BaseRunner.requirements, External.requirements)
