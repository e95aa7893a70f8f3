import hashlib
import logging

import pytest
from boto.exception import SWFResponseError

from garcon import utils


def expected_key(dictionary):
    text = ''.join(
        "'{}':'{}';".format(key, dictionary[key])
        for key in sorted(dictionary))
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


def throttle_error():
    return SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazon.coral.availability#ThrottlingException',
        'message': 'Rate exceeded'})


def test_create_dictionary_key_is_sha1_of_sorted_items():
    dictionary = {'b': 2, 'a': 'one', 'c': None}
    key = utils.create_dictionary_key(dictionary)
    assert key == expected_key(dictionary)
    literal = "'a':'one';'b':'2';'c':'None';"
    assert key == hashlib.sha1(literal.encode('utf-8')).hexdigest()
    assert len(key) == 40


def test_create_dictionary_key_ignores_insertion_order():
    first = {'x': 1, 'y': 2, 'z': 3}
    second = {'z': 3, 'y': 2, 'x': 1}
    assert (utils.create_dictionary_key(first) ==
            utils.create_dictionary_key(second))


def test_create_dictionary_key_differs_with_values():
    assert (utils.create_dictionary_key({'a': 1}) !=
            utils.create_dictionary_key({'a': 2}))


def test_create_dictionary_key_known_value():
    # sha1("'generator.country_id':'1';")
    key = utils.create_dictionary_key({'generator.country_id': 1})
    assert key == hashlib.sha1(
        b"'generator.country_id':'1';").hexdigest()


def test_create_dictionary_key_unicode():
    dictionary = {'pays': 'Côte d’Ivoire', 'ville': '東京'}
    key = utils.create_dictionary_key(dictionary)
    assert key == expected_key(dictionary)
    text = "'pays':'Côte d’Ivoire';'ville':'東京';"
    assert key == hashlib.sha1(text.encode('utf-8')).hexdigest()


@pytest.mark.parametrize('value', [None, [('a', 1)], 'a', 1, ('a',)])
def test_create_dictionary_key_type_error(value):
    with pytest.raises(TypeError):
        utils.create_dictionary_key(value)


def test_create_dictionary_key_value_error():
    with pytest.raises(ValueError):
        utils.create_dictionary_key({})


def test_non_throttle_error_throttle():
    assert utils.non_throttle_error(throttle_error()) is False


@pytest.mark.parametrize('error_type', [
    'com.amazonaws.swf.base.model#UnknownResourceFault',
    'com.amazonaws.swf.base.model#LimitExceededFault',
    'com.amazon.coral.service#AccessDeniedException',
])
def test_non_throttle_error_other_codes(error_type):
    error = SWFResponseError(400, 'Bad Request', body={
        '__type': error_type, 'message': 'nope'})
    assert utils.non_throttle_error(error) is True


def test_non_throttle_error_without_body():
    assert utils.non_throttle_error(
        SWFResponseError(500, 'Internal Server Error')) is True


def test_throttle_backoff_handler_logs_a_warning(caplog):
    def poll_for_activity_task():
        pass

    details = {
        'target': poll_for_activity_task, 'args': (), 'kwargs': {},
        'tries': 2, 'wait': 1.5}
    with caplog.at_level(logging.DEBUG):
        utils.throttle_backoff_handler(details)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert 'poll_for_activity_task' in message
    assert '2' in message
    assert warnings[0].name.startswith('garcon')


def test_throttle_backoff_handler_with_minimal_details(caplog):
    with caplog.at_level(logging.WARNING):
        utils.throttle_backoff_handler({'target': len, 'tries': 1})
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
