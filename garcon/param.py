"""Parameters of filled tasks.

A task filled with :meth:`fill <garcon.task.contextify>` receives each of its
arguments from a parameter: a :class:`Param` reads a key of the context, a
:class:`StaticParam` always gives the same value. A plain string given to
``fill`` is a context key, so ``task.fill(user='user.id')`` is the same as
``task.fill(user=Param('user.id'))``.
"""


class UnknownParamException(Exception):
    """A value given to ``fill`` is neither a context key nor a parameter."""


class BaseParam(object):
    """Base class of the parameters of a filled task."""

    @property
    def requirements(self):
        """Yield the context keys this parameter reads."""
        return iter(())

    def get_value(self, context):
        """Return the value of the parameter for this context.

        Args:
            context (dict): the context of the activity.
        """
        raise NotImplementedError()


class Param(BaseParam):
    """A value read from the context."""

    def __init__(self, context_key):
        """Create a parameter read from the context.

        Args:
            context_key (str): the key of the context to read.
        """
        self.context_key = context_key

    @property
    def requirements(self):
        """Yield the context key this parameter reads."""
        yield self.context_key

    def get_value(self, context):
        """Return the value of the context key (None when missing)."""
        return context.get(self.context_key)

    def __repr__(self):
        return 'Param({!r})'.format(self.context_key)


class StaticParam(BaseParam):
    """A fixed value, which needs nothing from the context."""

    def __init__(self, value):
        """Create a parameter that always gives ``value``."""
        self.value = value

    def get_value(self, context):
        """Return the fixed value."""
        return self.value

    def __repr__(self):
        return 'StaticParam({!r})'.format(self.value)


def parametrize(requirement):
    """Turn a value given to ``fill`` into a parameter.

    Args:
        requirement (str|BaseParam): a context key or a parameter.

    Returns:
        BaseParam: the parameter.

    Raises:
        UnknownParamException: the value is neither.
    """
    if isinstance(requirement, str):
        return Param(requirement)
    if isinstance(requirement, BaseParam):
        return requirement
    raise UnknownParamException(
        'Expected a context key (str) or a garcon.param parameter, '
        'got {!r}.'.format(requirement))


def get_all_requirements(params):
    """Yield every context key read by a collection of parameters.

    Args:
        params (iterable): parameters (:class:`BaseParam` instances).

    Yields:
        str: the context keys, in order.
    """
    for param in params:
        for key in param.requirements:
            yield key
