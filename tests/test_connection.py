import importlib
import logging
import socket
import sys
import textwrap

import backoff
import boto
import pytest
from boto.exception import SWFResponseError
from boto.regioninfo import RegionInfo
from boto.swf import layer2

from garcon import activity
from garcon import connection
from garcon import decider
from garcon import runner


def throttle_error():
    return SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazon.coral.availability#ThrottlingException',
        'message': 'Rate exceeded'})


def unknown_resource_error():
    return SWFResponseError(400, 'Bad Request', body={
        '__type': 'com.amazonaws.swf.base.model#UnknownResourceFault',
        'message': 'Unknown domain: nope'})


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to open a network connection."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError('network access attempted: {!r}'.format(args))

    monkeypatch.setattr(socket.socket, 'connect', refuse)
    monkeypatch.setattr(socket.socket, 'connect_ex', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)
    return attempts


@pytest.fixture
def no_aws_environment(monkeypatch):
    import os
    for name in list(os.environ):
        if name.startswith('AWS_'):
            monkeypatch.delenv(name)
    monkeypatch.setattr(layer2, 'DEFAULT_CREDENTIALS', {})


@pytest.fixture
def sleeps(monkeypatch):
    """Record the waits of the backoff instead of sleeping."""
    waits = []
    monkeypatch.setattr(backoff._sync.time, 'sleep', waits.append)
    return waits


# --- configuration ---

def test_endpoint_url_swf_variable_first():
    environ = {'AWS_ENDPOINT_URL_SWF': 'http://swf:1',
               'AWS_ENDPOINT_URL': 'http://all:2'}
    assert connection.endpoint_url(environ) == 'http://swf:1'


def test_endpoint_url_generic_variable():
    assert connection.endpoint_url(
        {'AWS_ENDPOINT_URL': 'http://all:2'}) == 'http://all:2'
    assert connection.endpoint_url(
        {'AWS_ENDPOINT_URL_SWF': '', 'AWS_ENDPOINT_URL': 'http://all:2'}
    ) == 'http://all:2'


def test_endpoint_url_none():
    assert connection.endpoint_url({}) is None
    assert connection.endpoint_url({'AWS_REGION': 'eu-west-1'}) is None


def test_endpoint_url_defaults_to_os_environ(monkeypatch):
    monkeypatch.setenv('AWS_ENDPOINT_URL_SWF', 'http://from-env:3')
    assert connection.endpoint_url() == 'http://from-env:3'


@pytest.fixture
def boto_region(monkeypatch):
    """Set what boto's configuration says about [SWF] region."""
    configured = {}

    def get(section, option, default=None):
        return configured.get((section, option), default)

    monkeypatch.setattr(boto.config, 'get', get)
    return configured


def test_region_name_order(boto_region):
    environ = {'AWS_REGION': 'eu-west-1', 'AWS_DEFAULT_REGION': 'us-west-2'}
    boto_region[('SWF', 'region')] = 'ap-southeast-2'
    assert connection.region_name(environ) == 'eu-west-1'
    assert connection.region_name(
        {'AWS_DEFAULT_REGION': 'us-west-2'}) == 'us-west-2'
    assert connection.region_name({}) == 'ap-southeast-2'


def test_region_name_default(boto_region):
    assert connection.region_name({}) == 'us-east-1'


def test_connect_to_a_local_endpoint(no_network):
    conn = connection.connect(
        'http://127.0.0.1:9999', region='eu-west-1',
        aws_access_key_id='key', aws_secret_access_key='secret')
    assert isinstance(conn, connection.Layer1)
    assert conn.host == '127.0.0.1'
    assert conn.port == 9999
    assert conn.is_secure is False
    assert conn.auth_service_name == 'swf'
    assert conn.auth_region_name == 'eu-west-1'
    assert conn.region.name == 'eu-west-1'
    assert conn.aws_access_key_id == 'key'
    assert no_network == []


def test_connect_reads_the_environment(monkeypatch, no_network):
    monkeypatch.setenv('AWS_ENDPOINT_URL_SWF', 'http://localhost:4321')
    monkeypatch.setenv('AWS_REGION', 'us-west-2')
    conn = connection.connect(
        aws_access_key_id='key', aws_secret_access_key='secret')
    assert conn.host == 'localhost'
    assert conn.port == 4321
    assert conn.auth_region_name == 'us-west-2'
    assert conn.auth_service_name == 'swf'


def test_connect_https(no_network):
    conn = connection.connect(
        'https://swf.example.com', region='us-east-1',
        aws_access_key_id='key', aws_secret_access_key='secret')
    assert conn.is_secure is True
    assert conn.port == 443
    assert conn.host == 'swf.example.com'


def test_connect_local_without_credentials(no_aws_environment, no_network):
    conn = connection.connect('http://127.0.0.1:9999', region='us-east-1')
    assert conn.aws_access_key_id
    assert conn.aws_secret_access_key


@pytest.mark.parametrize('url', [
    'ftp://127.0.0.1:9999', 'localhost:9999', 'http://', 'not a url'])
def test_connect_bad_url(url, no_network):
    with pytest.raises(connection.ConfigurationError):
        connection.connect(
            url, region='us-east-1', aws_access_key_id='key',
            aws_secret_access_key='secret')


def test_is_loopback():
    assert connection.is_loopback('localhost')
    assert connection.is_loopback('127.0.0.1')
    assert connection.is_loopback('::1')
    assert not connection.is_loopback('swf.us-east-1.amazonaws.com')
    assert not connection.is_loopback('10.0.0.1')


# --- throttling ---

class FlakyLayer1(connection.Layer1):
    """Raises `errors` (one per call) before answering."""

    def __init__(self, errors):
        super(FlakyLayer1, self).__init__(
            'key', 'secret', is_secure=False, port=9999,
            region=RegionInfo(name='us-east-1', endpoint='127.0.0.1'))
        self.errors = list(errors)
        self.calls = []

    def make_request(self, action, body='', object_hook=None):
        self.calls.append(action)
        if self.errors:
            raise self.errors.pop(0)
        return {'answer': action}


@pytest.mark.parametrize('throttles', [0, 1, 4])
def test_throttled_call_succeeds(throttles, sleeps, no_network):
    conn = FlakyLayer1([throttle_error() for _ in range(throttles)])
    assert conn.list_domains('REGISTERED') == {'answer': 'ListDomains'}
    assert conn.calls == ['ListDomains'] * (throttles + 1)
    assert len(sleeps) == throttles
    assert all(0 <= wait <= connection.THROTTLE_MAX_WAIT for wait in sleeps)


def test_throttled_call_surfaces_after_five_tries(sleeps, no_network):
    errors = [throttle_error() for _ in range(10)]
    conn = FlakyLayer1(errors)
    with pytest.raises(SWFResponseError) as info:
        conn.list_domains('REGISTERED')
    assert info.value.error_code == 'ThrottlingException'
    assert len(conn.calls) == 5
    assert len(sleeps) == 4
    assert connection.THROTTLE_MAX_TRIES == 5


def test_non_throttle_error_surfaces_at_once(sleeps, no_network):
    error = unknown_resource_error()
    conn = FlakyLayer1([error, None])
    with pytest.raises(SWFResponseError) as info:
        conn.list_domains('REGISTERED')
    assert info.value is error
    assert conn.calls == ['ListDomains']
    assert sleeps == []


def test_throttle_logs_warnings(sleeps, caplog, no_network):
    conn = FlakyLayer1([throttle_error(), throttle_error()])
    with caplog.at_level(logging.WARNING):
        conn.list_domains('REGISTERED')
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2


@pytest.mark.parametrize('call, action', [
    (lambda c: c.poll_for_activity_task('dev', 'tl'), 'PollForActivityTask'),
    (lambda c: c.poll_for_decision_task('dev', 'tl'), 'PollForDecisionTask'),
    (lambda c: c.respond_activity_task_completed('token', '{}'),
     'RespondActivityTaskCompleted'),
    (lambda c: c.respond_activity_task_failed('token', 'd', 'r'),
     'RespondActivityTaskFailed'),
    (lambda c: c.record_activity_task_heartbeat('token'),
     'RecordActivityTaskHeartbeat'),
    (lambda c: c.respond_decision_task_completed('token', []),
     'RespondDecisionTaskCompleted'),
    (lambda c: c.register_domain('dev', '30'), 'RegisterDomain'),
    (lambda c: c.start_workflow_execution('dev', 'wf', 'flow', '1.0'),
     'StartWorkflowExecution'),
])
def test_every_call_is_protected(call, action, sleeps, no_network):
    conn = FlakyLayer1([throttle_error(), throttle_error()])
    assert call(conn) == {'answer': action}
    assert conn.calls == [action] * 3


# --- lazy connections ---

@pytest.fixture
def connect_calls(monkeypatch):
    calls = []

    def fake_connect(**kwargs):
        calls.append(kwargs)
        return object()

    monkeypatch.setattr(connection, 'connect', fake_connect)
    return calls


def test_activity_create_does_not_connect(connect_calls):
    create = activity.create('dev', 'flow')
    create(name='a', run=runner.Sync(lambda context, activity: None))
    create(name='b', external=True, timeout=10)
    assert connect_calls == []


def test_reading_swf_connects_once(connect_calls):
    current = activity.create('dev', 'flow')(
        name='a', run=runner.Sync(lambda context, activity: None))
    first = current._swf
    second = current._swf
    assert first is second
    assert len(connect_calls) == 1


def test_connection_uses_the_object_settings(connect_calls):
    current = activity.create('dev', 'flow')(
        name='a', run=runner.Sync(lambda context, activity: None))
    current.endpoint = 'http://127.0.0.1:1234'
    current.aws_access_key_id = 'key'
    current.aws_secret_access_key = 'secret'
    current._swf
    assert connect_calls == [{
        'endpoint': 'http://127.0.0.1:1234',
        'aws_access_key_id': 'key', 'aws_secret_access_key': 'secret'}]


def test_assigning_swf_replaces_it(connect_calls):
    current = activity.create('dev', 'flow')(
        name='a', run=runner.Sync(lambda context, activity: None))
    replacement = object()
    current._swf = replacement
    assert current._swf is replacement
    assert connect_calls == []

    other = object()
    current._swf = other
    assert current._swf is other


def test_each_object_has_its_connection(connect_calls):
    create = activity.create('dev', 'flow')
    a = create(name='a', run=runner.Sync(lambda context, activity: None))
    b = create(name='b', run=runner.Sync(lambda context, activity: None))
    assert a._swf is not b._swf
    assert len(connect_calls) == 2


def test_decider_without_register_does_not_connect(connect_calls):
    import types
    flow = types.SimpleNamespace(
        domain='dev', name='flow',
        a=activity.create('dev', 'flow')(
            name='a', run=runner.Sync(lambda context, activity: None)))
    worker = decider.DeciderWorker(flow, register=False)
    assert connect_calls == []
    worker._swf
    assert len(connect_calls) == 1


FLOW_SOURCE = textwrap.dedent('''
    from garcon import activity
    from garcon import runner
    from garcon import task

    domain = 'dev'
    name = 'offline_flow'
    create = activity.create(domain, name)


    @task.decorate(timeout=60)
    def greet(activity, who):
        return {'greeting': 'hello ' + who}


    first = create(
        name='first',
        run=runner.Sync(greet.fill(who='who')))

    second = create(
        name='second',
        requires=[first],
        run=runner.Sync(lambda context, activity: None))

    external = create(name='external', external=True, timeout=30)
''')


def test_import_flow_without_credentials_or_network(
        tmp_path, monkeypatch, no_aws_environment, no_network):
    (tmp_path / 'offline_flow_module.py').write_text(FLOW_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, 'offline_flow_module', raising=False)

    flow = importlib.import_module('offline_flow_module')
    try:
        activities = activity.find_workflow_activities(flow)
        assert [a.name for a in activities] == [
            'offline_flow_external', 'offline_flow_first',
            'offline_flow_second']
        assert '_swf_connection' not in flow.first.__dict__
        decider.DeciderWorker(flow, register=False)
        activity.ActivityWorker(flow)
        assert no_network == []
    finally:
        sys.modules.pop('offline_flow_module', None)
