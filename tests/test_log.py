import logging

import pytest

from garcon import activity
from garcon import decider
from garcon import log


CONTEXT = {
    'execution.domain': 'dev',
    'execution.workflow_id': 'wf-123',
    'execution.run_id': 'run-456',
    'other': 'ignored',
}


class ListHandler(logging.Handler):
    def __init__(self):
        super(ListHandler, self).__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def garcon_handler():
    garcon_logger = logging.getLogger(log.LOGGER_PREFIX)
    handler = ListHandler()
    previous_level = garcon_logger.level
    garcon_logger.addHandler(handler)
    garcon_logger.setLevel(logging.DEBUG)
    yield handler
    garcon_logger.removeHandler(handler)
    garcon_logger.setLevel(previous_level)


def test_logger_prefix():
    assert log.LOGGER_PREFIX == 'garcon'


def test_get_logger_namespace():
    assert (log.get_logger_namespace(CONTEXT) ==
            'garcon.dev.wf-123.run-456')


def test_get_logger_namespace_other_values():
    context = {
        'execution.domain': 'prod',
        'execution.workflow_id': 'abc',
        'execution.run_id': '22Xyz='}
    assert log.get_logger_namespace(context) == 'garcon.prod.abc.22Xyz='


def test_default_logger_name():
    logger = log.GarconLogger()
    assert logger.logger.name == 'garcon'
    assert isinstance(logger.logger, logging.Logger)


def test_set_and_unset_log_context():
    logger = log.GarconLogger()
    logger.set_log_context(CONTEXT)
    assert logger.logger.name == 'garcon.dev.wf-123.run-456'
    logger.unset_log_context()
    assert logger.logger.name == 'garcon'


def test_log_context_is_per_instance():
    first = log.GarconLogger()
    second = log.GarconLogger()
    first.set_log_context(CONTEXT)
    assert second.logger.name == 'garcon'


def test_messages_reach_the_garcon_handlers(garcon_handler):
    logger = log.GarconLogger()
    logger.set_log_context(CONTEXT)
    logger.logger.warning('hello %s', 'world')
    logger.unset_log_context()
    logger.logger.info('back to default')

    assert [r.getMessage() for r in garcon_handler.records] == [
        'hello world', 'back to default']
    assert [r.name for r in garcon_handler.records] == [
        'garcon.dev.wf-123.run-456', 'garcon']


def test_formatter_shows_the_namespace(garcon_handler):
    formatter = logging.Formatter('%(name)s - %(levelname)s - %(message)s')
    logger = log.GarconLogger()
    logger.set_log_context(CONTEXT)
    logger.logger.error('failed')
    assert formatter.format(garcon_handler.records[-1]) == (
        'garcon.dev.wf-123.run-456 - ERROR - failed')


def test_activity_and_decider_are_garcon_loggers():
    assert issubclass(activity.Activity, log.GarconLogger)
    assert issubclass(decider.DeciderWorker, log.GarconLogger)
