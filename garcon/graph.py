"""Draw a flow's graph: its activities and their ``requires`` edges.

:func:`mermaid` and :func:`dot` render the same graph for docs and reviews
(Mermaid renders in GitHub and many wikis; DOT is Graphviz's language):

* an edge ``a --> b`` means b requires a (a runs first);
* an activity fanned out by generators is drawn as a stacked box and names
  its generators; ``retry`` and external activities are noted in the box.

A flow with a custom decider decides its order at run time: its activities
have no ``requires`` and the graph says so in a comment.
"""

import re

from garcon import activity as garcon_activity
from garcon import decider as garcon_decider

FORMATS = ('mermaid', 'dot')

# Words Mermaid reads as keywords where a node id is expected.
_MERMAID_KEYWORDS = frozenset([
    'end', 'graph', 'subgraph', 'flowchart', 'style', 'class', 'classdef',
    'click', 'linkstyle', 'direction', 'default'])


class Node(object):
    """An activity as drawn.

    Attributes:
        key (str): an identifier safe in both languages.
        name (str): the activity's name without the flow's name.
        notes (list): what else the box says (generators, retry,
            external).
        generated (bool): the activity has generators.
    """

    def __init__(self, key, name, notes, generated):
        self.key = key
        self.name = name
        self.notes = notes
        self.generated = generated


def short_name(flow, activity):
    """Return an activity's name without the flow's name in front."""
    prefix = '{}_'.format(flow.name)
    name = activity.name or ''
    return name[len(prefix):] if name.startswith(prefix) else name


def nodes(flow):
    """Return the flow's activities as :class:`Node` objects, by activity.

    Returns:
        dict: activity -> Node, in the flow's order.
    """
    result = {}
    keys = set()
    for current in garcon_activity.find_workflow_activities(flow):
        name = short_name(flow, current)
        key = re.sub(r'\W', '_', name) or 'activity'
        if key.lower() in _MERMAID_KEYWORDS:
            key += '_'
        key = _unique(key, keys)
        keys.add(key)
        result[current] = Node(key, name, _notes(current),
                               bool(current.generators))
    return result


def _unique(key, taken):
    candidate, number = key, 2
    while candidate in taken:
        candidate = '{}_{}'.format(key, number)
        number += 1
    return candidate


def _notes(current):
    notes = []
    if current.generators:
        notes.append('generators: {}'.format(', '.join(
            getattr(generator, '__name__', 'generator')
            for generator in current.generators)))
    if current.retry:
        notes.append('retry: {}'.format(current.retry))
    if isinstance(current, garcon_activity.ExternalActivity):
        notes.append('external')
    return notes


def edges(flow, by_activity=None):
    """Return the ``(required, requiring)`` node pairs of a flow."""
    by_activity = by_activity or nodes(flow)
    return [(by_activity[required], by_activity[current])
            for current in by_activity
            for required in current.requires if required in by_activity]


def _comments(flow):
    lines = ['flow {} (domain {}, version {})'.format(
        flow.name, flow.domain, getattr(flow, 'version', '1.0'))]
    if garcon_decider.custom_decider(flow):
        lines.append('custom decider: the order is decided at run time, '
                     'not by requires')
    return lines


def mermaid(flow):
    """Return the flow's graph in Mermaid (a ``flowchart``)."""
    by_activity = nodes(flow)
    lines = ['flowchart LR']
    lines.extend('    %% {}'.format(comment) for comment in _comments(flow))
    for node in by_activity.values():
        label = '<br/>'.join([node.name] + node.notes).replace('"', '#quot;')
        shape = '[["{}"]]' if node.generated else '["{}"]'
        lines.append('    {}{}'.format(node.key, shape.format(label)))
    for required, current in edges(flow, by_activity):
        lines.append('    {} --> {}'.format(required.key, current.key))
    return '\n'.join(lines) + '\n'


def dot(flow):
    """Return the flow's graph in Graphviz's DOT language."""
    by_activity = nodes(flow)
    lines = ['// {}'.format(comment) for comment in _comments(flow)]
    lines.append('digraph {} {{'.format(_dot_string(flow.name)))
    lines.append('    rankdir=LR;')
    lines.append('    node [shape=box, style=rounded];')
    for node in by_activity.values():
        attributes = ['label={}'.format(_dot_string(
            '\n'.join([node.name] + node.notes)))]
        if node.generated:
            attributes.append('shape=box3d')
        lines.append('    {} [{}];'.format(
            _dot_string(node.key), ', '.join(attributes)))
    for required, current in edges(flow, by_activity):
        lines.append('    {} -> {};'.format(
            _dot_string(required.key), _dot_string(current.key)))
    lines.append('}')
    return '\n'.join(lines) + '\n'


def _dot_string(text):
    escaped = text.replace('\\', '\\\\').replace('"', '\\"')
    return '"{}"'.format(escaped.replace('\n', '\\n'))


def render(flow, graph_format='mermaid'):
    """Return the flow's graph in one of :data:`FORMATS`.

    Raises:
        ValueError: the format is not one of :data:`FORMATS`.
    """
    if graph_format == 'mermaid':
        return mermaid(flow)
    if graph_format == 'dot':
        return dot(flow)
    raise ValueError('Unknown graph format {!r}: use one of {}.'.format(
        graph_format, ', '.join(FORMATS)))
