"""Load a flow and check its definition.

A flow is a module (or any object) with a ``domain``, a ``name`` and
activities as attributes. :func:`load` finds one from a dotted module path,
a ``.py`` file or ``module:attribute``; :func:`validate` refuses, with a
message naming the activity at fault, what SWF or the decider could never
run: duplicate or invalid names, requirements outside the flow, cycles.
"""

import importlib
import importlib.util
import os
import re
import sys

from garcon import activity as garcon_activity

#: SWF's limit on the length of a name (domain, type, task list, id).
MAX_NAME_LENGTH = 256

# SWF refuses names with these characters (and the name "arn").
FORBIDDEN_NAME_CHARACTERS = re.compile(r'[:/|\u0000-\u001f\u007f-\u009f]')


class FlowError(Exception):
    """A flow cannot be loaded, or its definition is invalid."""


def load(spec):
    """Load a flow.

    Args:
        spec (str): a dotted module path (``example.serial``), the path of
            a ``.py`` file, or either followed by ``:attribute`` for a flow
            that is an object of the module (``example.custom_decider:flow``).

    Returns:
        module: the flow (a module or an object).

    Raises:
        FlowError: nothing can be loaded from ``spec``.
    """
    target, _, attribute = spec.partition(':')
    if not target:
        raise FlowError('No flow given.')
    if target.endswith('.py') or os.path.sep in target:
        module = _import_file(target)
    else:
        module = _import_module(target)
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise FlowError('Module {} has no attribute {!r}.'.format(
            module.__name__, attribute))


def _import_module(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            raise FlowError('No flow module named {!r}.'.format(name))
        raise


def _import_file(path):
    if not os.path.isfile(path):
        raise FlowError('No flow file {!r}.'.format(path))
    directory = os.path.dirname(os.path.abspath(path))
    # Let the flow import its neighbours, as `python path.py` would.
    if directory not in sys.path:
        sys.path.insert(0, directory)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def check_name(name, what):
    """Check a name SWF will be given.

    Args:
        name (str): the name.
        what (str): what it names, for the message.

    Raises:
        FlowError: SWF would refuse the name.
    """
    problem = None
    if not isinstance(name, str) or not name:
        problem = 'must be a non-empty string'
    elif len(name) > MAX_NAME_LENGTH:
        problem = 'is {} characters long, over SWF\'s {}'.format(
            len(name), MAX_NAME_LENGTH)
    elif name != name.strip():
        problem = 'starts or ends with white space'
    elif FORBIDDEN_NAME_CHARACTERS.search(name):
        problem = 'contains a character SWF refuses (:, /, | or a control ' \
            'character)'
    elif name == 'arn':
        problem = 'is "arn", which SWF refuses'
    if problem:
        raise FlowError('{} {!r} {}.'.format(what, name, problem))


def validate(flow):
    """Check a flow's definition.

    Args:
        flow (module): the flow.

    Returns:
        list: the flow's activities.

    Raises:
        FlowError: the flow has no domain or name, or an activity has an
            invalid name, a duplicate name, a negative retry, a requirement
            that is not part of the flow, or requirements that form a cycle.
    """
    for attribute in ('domain', 'name'):
        if not getattr(flow, attribute, None):
            raise FlowError('Flow {} has no `{}`.'.format(
                getattr(flow, '__name__', flow), attribute))
    check_name(flow.domain, 'Domain')
    check_name(flow.name, 'Flow name')

    activities = garcon_activity.find_workflow_activities(flow)
    names = {}
    for current in activities:
        check_name(current.name, 'Activity name')
        if current.name in names:
            raise FlowError(
                'Two activities of flow {} are named {!r}.'.format(
                    flow.name, current.name))
        names[current.name] = current
        retry = current.retry
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise FlowError('Activity {}: `retry` must be an integer >= 0, '
                            'got {!r}.'.format(current.name, retry))
        for required in current.requires:
            if required not in activities:
                raise FlowError(
                    'Activity {} requires {}, which is not part of flow {}.'
                    .format(current.name, getattr(required, 'name', required),
                            flow.name))
    _check_cycles(activities)
    return activities


def _check_cycles(activities):
    """Refuse requirements that form a cycle (no activity could ever
    start)."""
    done = set()

    def visit(current, path):
        if current in path:
            cycle = path[path.index(current):] + [current]
            raise FlowError('Activity requirements form a cycle: {}.'.format(
                ' -> '.join(a.name for a in cycle)))
        if current in done:
            return
        for required in current.requires:
            visit(required, path + [current])
        done.add(current)

    for current in activities:
        visit(current, [])
