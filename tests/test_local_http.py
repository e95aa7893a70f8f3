"""Tests of the local SWF's HTTP server (garcon.local_http).

A small WSGI application echoes what it gets as JSON; the tests talk to the
server with http.client and with raw sockets, for what http.client would
not send.
"""

import http.client
import json
import logging
import socket
import threading
import time

import pytest

from garcon import local_http

# Seconds a test waits for something that should happen at once.
PATIENCE = 5


def echo(environ, start_response):
    """Answer with what the request looked like (or fail, or wait)."""
    path = environ['PATH_INFO']
    if path == '/fail':
        raise ValueError('the application failed')
    if path == '/wait':
        environ['test.entered'].set()
        environ['test.release'].wait(PATIENCE)
    body = environ['wsgi.input'].read()
    shown = {
        key: value for key, value in environ.items()
        if isinstance(value, (str, bool, int))}
    shown['body'] = body.decode('latin-1')
    start_response('200 OK', [('Content-Type', 'application/json')])
    # In two pieces, with no Content-Length: the server adds it.
    answer = json.dumps(shown).encode('latin-1')
    return iter([answer[:5], answer[5:]])


class Harness(object):
    """A started server of the echo application, and events for /wait."""

    def __init__(self, **options):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.server = local_http.WSGIServer(
            '127.0.0.1', 0, self.application, name='test-http', **options)
        self.server.start()

    def application(self, environ, start_response):
        environ['test.entered'] = self.entered
        environ['test.release'] = self.release
        return echo(environ, start_response)

    @property
    def port(self):
        return self.server.port

    def connect(self):
        """Return an http.client connection to the server."""
        return http.client.HTTPConnection(
            '127.0.0.1', self.port, timeout=PATIENCE)

    def raw(self):
        """Return a raw connection to the server, once it is accepted."""
        accepted = self.server.accepted
        raw = RawConnection(self.port)
        wait_for(lambda: self.server.accepted > accepted)
        return raw


class RawConnection(object):
    """A socket to the server, for requests http.client would not send.

    Answers are read off one buffered reader, so that pipelined answers
    are not lost in the buffer of a reader per answer.
    """

    def __init__(self, port):
        self.socket = socket.create_connection(
            ('127.0.0.1', port), timeout=PATIENCE)
        self.reader = self.socket.makefile('rb')

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.reader.close()
        self.socket.close()

    def send(self, data):
        self.socket.sendall(data)

    def answer(self):
        """Read one answer: return (status, headers, body)."""
        status = int(self.reader.readline().split()[1])
        headers = {}
        for line in iter(self.reader.readline, b'\r\n'):
            name, _, value = line.decode('latin-1').partition(':')
            headers[name.lower()] = value.strip()
        body = self.reader.read(int(headers.get('content-length', 0)))
        return status, headers, body

    def closed_by_server(self):
        """Whether the server has closed the connection (an end of file
        within PATIENCE)."""
        return closed_by_server(self.reader)


def wait_for(condition):
    """Poll a condition until it holds (fail after PATIENCE seconds)."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, 'waited too long'
        time.sleep(0.001)


@pytest.fixture
def harness():
    harness = Harness()
    yield harness
    harness.release.set()
    harness.server.stop()


def get(connection, path, body=None, headers=None):
    """Send a request on an http.client connection; return the response,
    read, and its decoded JSON if any."""
    connection.request(
        'POST' if body is not None else 'GET', path, body=body,
        headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    shown = None
    if response.getheader('Content-Type') == 'application/json':
        shown = json.loads(data.decode('latin-1'))
    return response, shown


def closed_by_server(stream):
    """Whether the server has closed a socket or a reader of one (an end of
    file within PATIENCE)."""
    try:
        return (stream.recv(1) if hasattr(stream, 'recv')
                else stream.read(1)) == b''
    except ConnectionResetError:
        return True


def test_two_requests_share_one_connection(harness):
    connection = harness.connect()
    first, shown = get(connection, '/one')
    sock = connection.sock
    second, shown_again = get(connection, '/two')
    assert (first.status, second.status) == (200, 200)
    assert first.getheader('Connection') != 'close'
    assert connection.sock is sock
    assert shown['REMOTE_PORT'] == shown_again['REMOTE_PORT']
    assert harness.server.accepted == 1
    connection.close()


def test_the_environ(harness):
    connection = harness.connect()
    _, shown = get(connection, '/a%20b/c?x=1&y=%20', body=b'hello', headers={
        'Content-Type': 'text/plain', 'X-Amz-Target': 'Swf.Count',
        'X-Custom': 'one', 'X_Custom': 'underscored', 'X_Only': 'kept'})
    connection.close()
    assert shown['REQUEST_METHOD'] == 'POST'
    assert shown['SCRIPT_NAME'] == ''
    assert shown['PATH_INFO'] == '/a b/c'
    assert shown['QUERY_STRING'] == 'x=1&y=%20'
    assert shown['CONTENT_TYPE'] == 'text/plain'
    assert shown['CONTENT_LENGTH'] == '5'
    assert shown['body'] == 'hello'
    assert shown['SERVER_PORT'] == str(harness.port)
    assert shown['SERVER_PROTOCOL'] == 'HTTP/1.1'
    assert shown['REMOTE_ADDR'] == '127.0.0.1'
    assert shown['HTTP_X_AMZ_TARGET'] == 'Swf.Count'
    assert shown['HTTP_HOST'] == '127.0.0.1:{}'.format(harness.port)
    # A dashed name wins over an underscored one; an underscored one alone
    # is kept.
    assert shown['HTTP_X_CUSTOM'] == 'one'
    assert shown['HTTP_X_ONLY'] == 'kept'
    assert 'HTTP_CONTENT_TYPE' not in shown
    assert 'HTTP_CONTENT_LENGTH' not in shown
    assert shown['wsgi.url_scheme'] == 'http'
    assert shown['wsgi.multithread'] is True
    assert shown['wsgi.multiprocess'] is False
    assert shown['wsgi.run_once'] is False


def test_an_answer_without_length_gets_one(harness):
    with harness.raw() as raw:
        raw.send(b'GET /x HTTP/1.1\r\nHost: here\r\n\r\n')
        status, headers, body = raw.answer()
    assert status == 200
    assert int(headers['content-length']) == len(body)
    assert json.loads(body.decode('latin-1'))['PATH_INFO'] == '/x'


def test_connection_close_is_honoured(harness):
    with harness.raw() as raw:
        raw.send(
            b'GET /x HTTP/1.1\r\nHost: here\r\nConnection: close\r\n\r\n')
        status, headers, _ = raw.answer()
        assert status == 200
        assert headers['connection'] == 'close'
        assert raw.closed_by_server()


@pytest.mark.parametrize('connection_header, stays_open', [
    (b'', False),
    (b'Connection: keep-alive\r\n', True),
], ids=['plain', 'keep-alive'])
def test_http_1_0_keeps_alive_only_when_asked(
        harness, connection_header, stays_open):
    request = b'GET /x HTTP/1.0\r\n' + connection_header + b'\r\n'
    with harness.raw() as raw:
        raw.send(request)
        status, headers, _ = raw.answer()
        assert status == 200
        if not stays_open:
            assert headers['connection'] == 'close'
            assert raw.closed_by_server()
            return
        assert headers['connection'] == 'keep-alive'
        raw.send(request)
        assert raw.answer()[0] == 200
    assert harness.server.accepted == 1


def test_pipelined_requests_are_answered_in_order(harness):
    with harness.raw() as raw:
        raw.send(
            b'GET /first HTTP/1.1\r\nHost: h\r\n\r\n'
            b'POST /second HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n'
            b'abc')
        first = raw.answer()[2]
        second = raw.answer()[2]
    assert json.loads(first.decode())['PATH_INFO'] == '/first'
    assert json.loads(second.decode())['body'] == 'abc'


def test_a_chunked_body_needs_a_length(harness):
    with harness.raw() as raw:
        raw.send(
            b'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n'
            b'\r\n5\r\nhello\r\n0\r\n\r\n')
        assert raw.answer()[0] == 411
        assert raw.closed_by_server()


@pytest.mark.parametrize('request_bytes, status', [
    (b'garbage\r\n\r\n', 400),
    (b'GET /x HTTP/1.1 extra\r\n\r\n', 400),
    (b'GET /x HTTP/2.0\r\n\r\n', 505),
    (b'GET /x HTTP/1.1\r\nno colon here\r\n\r\n', 400),
    (b'POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400),
    (b'POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
     400),
], ids=['garbage', 'four-words', 'http-2', 'header', 'negative-length',
        'two-lengths'])
def test_a_malformed_request_is_refused_and_closed(
        harness, request_bytes, status):
    with harness.raw() as raw:
        raw.send(request_bytes)
        assert raw.answer()[0] == status
        assert raw.closed_by_server()


def test_an_application_error_is_a_logged_500(harness, caplog):
    connection = harness.connect()
    with caplog.at_level(logging.ERROR, logger=local_http.__name__):
        failed, _ = get(connection, '/fail')
    assert failed.status == 500
    records = [record for record in caplog.records
               if record.name == local_http.__name__]
    assert [record.levelno for record in records] == [logging.ERROR]
    assert records[0].exc_info[0] is ValueError
    # The server, and even the connection, serve on.
    answered, _ = get(connection, '/next')
    assert answered.status == 200
    assert harness.server.accepted == 1
    connection.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout():
    harness = Harness(idle_timeout=0.1)
    try:
        with harness.raw() as raw:
            assert raw.closed_by_server()
    finally:
        harness.server.stop()


def test_stop_closes_idle_connections_at_once_and_frees_the_port(harness):
    kept = harness.connect()
    get(kept, '/x')  # open, idle between two requests
    with harness.raw() as silent:  # open, no request yet
        started = time.monotonic()
        harness.server.stop()
        assert time.monotonic() - started < 0.5
        assert closed_by_server(kept.sock)
        assert silent.closed_by_server()
    kept.close()
    assert harness.server.accepted == 2
    assert not [thread for thread in threading.enumerate()
                if thread.name.startswith('test-http')]
    with socket.create_server(('127.0.0.1', harness.port)):
        pass


def test_stop_lets_an_answer_in_progress_go_out(harness):
    with harness.raw() as raw:
        raw.send(b'GET /wait HTTP/1.1\r\nHost: h\r\n\r\n')
        assert harness.entered.wait(PATIENCE)

        started = time.monotonic()
        harness.server.stop()
        assert time.monotonic() - started < 0.5

        harness.release.set()
        status, headers, _ = raw.answer()
        assert status == 200
        assert headers['connection'] == 'close'
        assert raw.closed_by_server()


def test_boto_keeps_its_connection_to_the_local_swf(local_swf):
    layer1 = local_swf.connect()
    layer1.register_domain('keep-alive', '1')
    accepted = local_swf._server.accepted
    for _ in range(20):
        layer1.count_pending_activity_tasks('keep-alive', 'list')
    assert local_swf._server.accepted == accepted
