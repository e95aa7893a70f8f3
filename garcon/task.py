"""Task.

Tasks are small discrete applications that perform one defined action
within an activity. An activity can have more than one task; its runner runs
them in series or in parallel.

Tasks add values to the context by returning a dictionary (useful to pass
information from a task of one activity to the tasks of the next ones).

A task is any callable taking the context and the activity::

    def send_email(context, activity):
        ...

Decorated with :func:`decorate`, a task gets a timeout, a heartbeat and a
``fill`` method that maps its arguments to keys of the context::

    @task.decorate(timeout=60)
    def send_email(activity, email):
        ...

    run = runner.Sync(send_email.fill(email='user.email'))

Garcon keeps what a decorator records in the function's ``__garcon__``
dictionary (``timeout``, ``heartbeat``, ``requirements``, ``list``).
"""

import inspect

from garcon import param

GARCON_ATTRIBUTE = '__garcon__'


def _garcon_info(fn):
    """Return what Garcon recorded on a callable (a dict, maybe empty)."""
    return getattr(fn, GARCON_ATTRIBUTE, None) or {}


def _record(fn, **values):
    """Record values on a callable's ``__garcon__`` dictionary."""
    info = dict(_garcon_info(fn))
    info.update(values)
    setattr(fn, GARCON_ATTRIBUTE, info)
    return fn


def task_name(fn):
    """Return a readable name for a task, for messages."""
    return getattr(fn, '__qualname__', None) or getattr(
        fn, '__name__', None) or repr(fn)


def get_timeout(fn, default):
    """Return the timeout recorded on a task, or ``default``."""
    return _garcon_info(fn).get('timeout') or default


def get_heartbeat(fn, default):
    """Return the heartbeat recorded on a task, or ``default``."""
    return _garcon_info(fn).get('heartbeat') or default


def get_requirements(fn):
    """Return the parameters of a filled task, or None if it is not filled.

    Returns:
        dict: argument name to :class:`~garcon.param.BaseParam`.
    """
    return _garcon_info(fn).get('requirements')


def timeout(time, heartbeat=None):
    """Wrapper for a task to define its timeout.

    Args:
        time (int): the timeout in seconds.
        heartbeat (int): the heartbeat timeout (in seconds too); defaults to
            the timeout.

    Returns:
        callable: the decorator.
    """
    def decorator(fn):
        return _record(fn, timeout=time, heartbeat=heartbeat or time)
    return decorator


# `decorate` takes an argument named `timeout`, which hides this function.
_timeout_decorator = timeout


def decorate(timeout=None, heartbeat=None, enable_contextify=True):
    """Generic task decorator for tasks.

    Args:
        timeout (int): the timeout of the task (see :func:`timeout`).
        heartbeat (int): the heartbeat timeout.
        enable_contextify (bool): if the task can be contextified (see
            :func:`contextify`).

    Returns:
        callable: the wrapper.
    """
    def wrapper(fn):
        if timeout:
            _timeout_decorator(timeout, heartbeat)(fn)
        if enable_contextify:
            contextify(fn)
        return fn
    return wrapper


def contextify(fn):
    """Decorator to take values from the context and apply them to ``fn``.

    It gives ``fn`` a ``fill(namespace=None, **params)`` method. Each param
    names the context key (or a :mod:`garcon.param` parameter) an argument of
    ``fn`` takes its value from. The filled task is called as
    ``task(context, activity=activity)``; ``fn`` receives ``activity`` if it
    declares it, and each filled argument. ``fn`` may not declare a
    ``context`` argument: a filled task only sees what it asks for, which is
    what lets Garcon send an activity only the context it needs.

    When ``fn`` returns a dictionary and a namespace is given, the keys of
    the result are prefixed with ``'{namespace}.'``.

    Example::

        @contextify
        def increase_dynamodb_throughput(
                activity, table_name=None, table_throughput=None):
            ...

        activity_task = increase_dynamodb_throughput.fill(
            table_name='dynamodb.table_name1',
            table_throughput='dynamodb.table_throughput1')

    Args:
        fn (callable): the task.

    Returns:
        callable: ``fn``, with a ``fill`` method.
    """
    def fill(namespace=None, **requirements):
        params = {
            name: param.parametrize(value)
            for name, value in requirements.items()}
        _check_fill(fn, params)

        def filled_task(context, **kwargs):
            arguments = fill_function_call(
                fn, params, kwargs.get('activity'), context)
            result = fn(**arguments)
            if namespace and isinstance(result, dict):
                result = namespace_result(result, namespace)
            return result

        filled_task.__name__ = getattr(fn, '__name__', 'task')
        filled_task.__qualname__ = task_name(fn)
        filled_task.__doc__ = getattr(fn, '__doc__', None)
        info = _garcon_info(fn)
        return _record(
            filled_task,
            timeout=info.get('timeout'),
            heartbeat=info.get('heartbeat'),
            requirements=params)

    fn.fill = fill
    return fn


def _check_fill(fn, params):
    """Refuse a fill that could never be called."""
    parameters = inspect.signature(fn).parameters
    if 'context' in parameters:
        raise TypeError(
            'Task {} declares a `context` argument: a filled task receives '
            'only `activity` and the arguments it fills.'.format(
                task_name(fn)))
    takes_any = any(
        p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = sorted(set(params) - set(parameters))
    if unknown and not takes_any:
        raise TypeError('Task {} has no argument named {}.'.format(
            task_name(fn), ', '.join(unknown)))


def fill_function_call(fn, requirements, activity, context):
    """Fill a function call from values of the context.

    Args:
        fn (callable): the function to call.
        requirements (dict): the requirements. The key is the argument name
            and the value says where the value is in the context (a context
            key or a :mod:`garcon.param` parameter).
        activity (ActivityWorker): the current activity worker.
        context (dict): the current context.

    Returns:
        dict: the arguments to call the function with.

    Raises:
        TypeError: the function declares a ``context`` argument.
    """
    arguments = {}
    for name in inspect.signature(fn).parameters:
        if name == 'context':
            raise TypeError(
                'Task {} declares a `context` argument, which a filled task '
                'cannot receive.'.format(task_name(fn)))
        if name == 'activity':
            arguments['activity'] = activity
        elif name in requirements:
            arguments[name] = param.parametrize(
                requirements[name]).get_value(context)
    return arguments


def namespace_result(dictionary, namespace):
    """Namespace the response.

    Prefix every key of the dictionary with the namespace::

        resp = dict(key='value', index='storage')
        namespace_result(resp, 'namespace')
        # {'namespace.index': 'storage', 'namespace.key': 'value'}

    Args:
        dictionary (dict): the dictionary to update.
        namespace (str): the prefix.

    Returns:
        dict: the namespaced dictionary.
    """
    return {
        '{}.{}'.format(namespace, key): value
        for key, value in dictionary.items()}


def list(fn):
    """Wrapper for a callable to define a task generator.

    A task list reads the context and yields the tasks to run, so what an
    activity does can depend on its context. Timeouts are computed from the
    tasks it yields for the context of the instance::

        @task.list
        def create_client(context):
            yield create_user.fill(
                username='context.username',
                email='context.email')
            if context.get('context.credit_card'):
                yield create_credit_card.fill(
                    username='context.username',
                    credit_card='context.credit_card')
            yield send_email.fill(email='context.email')

    Args:
        fn (callable): the generator of tasks.

    Returns:
        callable: ``fn``, marked as a task list.
    """
    return _record(fn, list=True)


def is_task_list(fn):
    """Check if a function is a task list.

    Returns:
        bool: if a function is a task list.
    """
    return bool(_garcon_info(fn).get('list'))


def flatten(callables, context=None):
    """Flatten the tasks.

    The tasks of a runner are a mix of tasks and task lists (see
    :func:`list`), which read the context to yield tasks. This yields every
    task, in order.

    Args:
        callables (list): tasks and task lists.
        context (dict): the context task lists read.

    Yields:
        callable: one of the tasks.
    """
    for fn in callables:
        if is_task_list(fn):
            for task in fn(context):
                yield task
        else:
            yield fn
