"""The execution context: what the activities of an execution know.

The context starts as the workflow input (a JSON object); every completed
activity's result is merged into it, in the order of the history; the decider
adds the ``execution.domain``, ``execution.workflow_id`` and
``execution.run_id`` keys.
"""

import json
import json.encoder

STARTED_EVENT = 'WorkflowExecutionStarted'
COMPLETED_EVENT = 'ActivityTaskCompleted'

#: The keys the decider adds to the context, which every activity's input
#: has (see :meth:`ExecutionContext.set_workflow_execution_info`).
EXECUTION_KEYS = ('execution.domain', 'execution.run_id',
                  'execution.workflow_id')


class WorkflowInputError(ValueError):
    """The workflow input is not a JSON object."""


def decode_workflow_input(text):
    """Decode a workflow input: a JSON object, or nothing.

    Args:
        text (str): the input as given to SWF (may be None or empty).

    Returns:
        dict: the decoded input.

    Raises:
        WorkflowInputError: the input is not JSON, or not an object.
    """
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise WorkflowInputError(
            'The workflow input is not valid JSON ({}): {!r}'.format(
                error, text[:80]))
    if not isinstance(value, dict):
        raise WorkflowInputError(
            'The workflow input must be a JSON object, got {}: {!r}'.format(
                type(value).__name__, text[:80]))
    return value


# json.loads wraps the C scanner in three layers of Python calls, which cost
# more than decoding a small result: decode_result calls the scanner itself.
_SCAN_JSON = json.JSONDecoder().scan_once


def decode_result(text):
    """Decode an activity result (a JSON object; ``{}`` when empty).

    The result and the errors are those of ``json.loads``.
    """
    if not text:
        return {}
    try:
        value, end = _SCAN_JSON(text, 0)
    except Exception:
        # Leading whitespace, invalid JSON, bytes: json.loads decides.
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


def _make_json_encoder():
    """Return the C encoder that json.dumps makes at every call, made once
    (None where Python has no C accelerator)."""
    c_make_encoder = getattr(json.encoder, 'c_make_encoder', None)
    if c_make_encoder is None:
        return None
    defaults = json.JSONEncoder()
    # No markers: nothing is kept from one call to the next (a circular
    # value recurses until RecursionError, and json.dumps then explains).
    return c_make_encoder(
        None, defaults.default, json.encoder.encode_basestring_ascii, None,
        defaults.key_separator, defaults.item_separator, False, False, True)


_JSON_ENCODER = _make_json_encoder()


def encode_json(value):
    """Encode a dict as ``json.dumps(value)`` does.

    A decision encodes thousands of small objects (activity inputs, and
    the decisions to measure them), for which making json.dumps' encoder
    costs more than the encoding: this one is made once.
    """
    if _JSON_ENCODER is None or type(value) is not dict:
        return json.dumps(value)
    try:
        return ''.join(_JSON_ENCODER(value, 0))
    except RecursionError:
        return json.dumps(value)


def copy_json(value):
    """Copy a decoded JSON value: its objects and arrays, not its scalars.

    Args:
        value: a value as ``json.loads`` returns it.

    Returns:
        a copy that shares nothing mutable with the value.
    """
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class ExecutionContext(dict):
    """The current context of an execution.

    It is a dictionary of the current context, built from the history
    events, and also exposes the workflow input alone.

    Args:
        events (list): history events to build the context from.
    """

    def __init__(self, events=None):
        super(ExecutionContext, self).__init__()
        self.workflow_input = {}
        for event in events or ():
            self.add_event(event)

    def copy(self):
        """Return a copy that shares nothing mutable with this context.

        Returns:
            ExecutionContext: the copy (with a copy of the workflow input).
        """
        other = ExecutionContext()
        for key, value in self.items():
            other[key] = copy_json(value)
        other.workflow_input = copy_json(self.workflow_input)
        return other

    @property
    def current(self):
        """dict: the current context (this object)."""
        return self

    def add_event(self, event):
        """Update the context with one history event.

        Args:
            event (dict): a history event; only the workflow start and
                completed activities change the context.

        Raises:
            WorkflowInputError: the workflow input is not a JSON object.
        """
        event_type = event['eventType']
        if event_type == STARTED_EVENT:
            attributes = event['workflowExecutionStartedEventAttributes']
            self.workflow_input = decode_workflow_input(
                attributes.get('input'))
            self.update(self.workflow_input)
        elif event_type == COMPLETED_EVENT:
            self.add_result(
                event['activityTaskCompletedEventAttributes'].get('result'))

    def add_result(self, text):
        """Merge an activity's result (as SWF holds it: JSON text).

        Args:
            text (str): the result; only a JSON object changes the context.
        """
        result = decode_result(text)
        if isinstance(result, dict):
            self.update(result)

    def set_workflow_execution_info(self, execution_info, domain):
        """Add the ``execution.*`` keys.

        Args:
            execution_info (dict): the ``workflowExecution`` of a decision
                task (``workflowId`` and ``runId``).
            domain (str): the domain of the execution.
        """
        self.update({
            'execution.domain': domain,
            'execution.workflow_id': execution_info.get('workflowId'),
            'execution.run_id': execution_info.get('runId'),
        })
