"""Small helpers shared by the activity workers and the decider."""

import hashlib
import logging

logger = logging.getLogger(__name__)

THROTTLING_ERROR_CODE = 'ThrottlingException'

#: How create_dictionary_key writes one item of the dictionary.
KEY_PART = "'{}':'{}';"


def create_dictionary_key(dictionary):
    """Create a key that represents the content of the dictionary.

    The key is stable across processes and Python versions: it is the SHA-1
    hex digest of the items sorted by key, each written as
    ``'{key}':'{value}';``. Garcon 0.4.x built activity instance ids this
    way, so the same generator output always names the same instance.

    Args:
        dictionary (dict): the dictionary to use.

    Returns:
        str: the key that represents the content of the dictionary.

    Raises:
        TypeError: the value is not a dictionary.
        ValueError: the dictionary is empty.
    """
    return _sha1(dictionary_key_text(dictionary))


def dictionary_key_text(dictionary):
    """Return the text whose SHA-1 is :func:`create_dictionary_key`.

    Raises:
        TypeError: the value is not a dictionary.
        ValueError: the dictionary is empty.
    """
    if not isinstance(dictionary, dict):
        raise TypeError(
            'create_dictionary_key expects a dict, got {}.'.format(
                type(dictionary).__name__))
    if not dictionary:
        raise ValueError('create_dictionary_key expects a non-empty dict.')

    if len(dictionary) == 1:
        # The usual generator output: nothing to sort or join.
        for key, value in dictionary.items():
            return KEY_PART.format(key, value)
    return ''.join(
        KEY_PART.format(key, dictionary[key]) for key in sorted(dictionary))


def _sha1(text):
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


# Types whose str.format is str() and whose equal values are written alike
# (True == 1 but is a bool; 1.0 == 1 but is a float: neither is here).
_PLAIN_TYPES = frozenset([str, int])


class DictionaryKeys(object):
    """:func:`create_dictionary_key`, remembering the keys it made.

    A decider computes the key of every generated instance at every
    decision; the text of a key is cheap to write, its SHA-1 less so. The
    memory is keyed by that text, so a remembered key is always the one
    :func:`create_dictionary_key` would compute. It is emptied when full.

    Args:
        size (int): how many keys to remember.
    """

    def __init__(self, size=65536):
        self.size = size
        self._keys = {}
        self._items = {}

    def __call__(self, dictionary):
        """Return ``create_dictionary_key(dictionary)``."""
        if type(dictionary) is dict and len(dictionary) == 1:
            # The usual generator output, one string or integer: its item
            # says what its text would, and costs less to look up.
            (item,) = dictionary.items()
            if type(item[0]) is str and type(item[1]) in _PLAIN_TYPES:
                key = self._items.get(item)
                if key is None:
                    self._bound(self._items)
                    # What create_dictionary_key does, its checks passed.
                    key = self._items[item] = _sha1(KEY_PART.format(*item))
                return key
        return self._key(dictionary)

    def _key(self, dictionary):
        text = dictionary_key_text(dictionary)
        key = self._keys.get(text)
        if key is None:
            self._bound(self._keys)
            key = self._keys[text] = _sha1(text)
        return key

    def _bound(self, memory):
        if len(memory) >= self.size:
            memory.clear()


def non_throttle_error(swf_response_error):
    """Tell whether an SWF error is anything but a throttle.

    Used as the ``giveup`` predicate of the throttling backoff: a throttle is
    retried, every other error surfaces at once.

    Args:
        swf_response_error (boto.exception.SWFResponseError): the error.

    Returns:
        bool: False if the error is a throttle, True otherwise.
    """
    code = getattr(swf_response_error, 'error_code', None)
    return code != THROTTLING_ERROR_CODE


def throttle_backoff_handler(details):
    """Log a throttled SWF call before it is tried again.

    Args:
        details (dict): details of the backoff invocation, as given by
            ``backoff``: ``target``, ``args``, ``kwargs``, ``tries`` and
            ``wait`` (see the event handlers of the ``backoff`` library).
    """
    target = details.get('target')
    call = getattr(target, '__name__', repr(target))
    args = details.get('args') or ()
    if len(args) > 1:
        # Layer1.json_request(self, action, data): name the SWF action.
        call = '{} {}'.format(call, args[1])
    logger.warning(
        'SWF throttled %s (try %s); retrying in %.2f seconds.',
        call, details.get('tries'), details.get('wait', 0))
