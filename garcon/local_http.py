"""A small threaded HTTP/1.1 server for a WSGI application, with keep-alive.

The local SWF (:mod:`garcon.local`) serves moto's WSGI application with it.
Its clients are boto 2 connections, which keep their TCP connection open
from one call to the next when the server lets them: a call then costs the
server a request to parse and moto's work, not a new connection, a new
thread and a drain of the closing socket, as with a development server that
closes every connection.

What it does, and no more (it serves a trusted client on loopback, not the
internet):

* HTTP/1.1 persistent connections: a connection stays open after an answer
  unless the client sends ``Connection: close``; an HTTP/1.0 client's stays
  open only with ``Connection: keep-alive``. A connection idle for
  :data:`IDLE_TIMEOUT` seconds is closed.
* Request bodies framed by ``Content-Length``. A body sent any other way
  (``Transfer-Encoding: chunked``) is answered ``411 Length Required`` and
  the connection closed; a malformed request gets ``400`` and the same.
* One daemon thread per connection: a request that waits (a long poll)
  holds its own connection's thread only.
* Whole answers: the application's answer is gathered, then sent in one
  write with its ``Content-Length``.
* An exception from the application is logged, with its traceback, and
  answered ``500``; the server goes on serving.

Example::

    server = WSGIServer('127.0.0.1', 0, application)
    server.start()
    ...  # http://127.0.0.1:<server.port>/
    server.stop()
"""

import collections
import email.utils
import io
import logging
import re
import selectors
import socket
import sys
import threading
import time
from urllib.parse import unquote_to_bytes
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

#: Seconds a connection may stay idle between two requests before the server
#: closes it. Longer than boto 2's pool keeps an unused connection (60 s), so
#: that boto drops a connection before the server does and never sends a
#: request on a connection the server is closing.
IDLE_TIMEOUT = 75

#: Longest request line or header line, in bytes.
MAX_LINE = 65536

#: Most header lines a request may have.
MAX_HEADERS = 100

#: Seconds :meth:`WSGIServer.stop` waits for the threads of idle
#: connections to close their sockets.
STOP_TIMEOUT = 2

_BACKLOG = 128

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(r'HTTP/(\d)\.(\d)')
_DIGITS = re.compile(r'[0-9]+')

# Headers that describe a connection rather than an answer: the server
# writes its own (PEP 3333 forbids applications to set them).
_HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'transfer-encoding'))

_REASONS = {
    400: 'Bad Request',
    411: 'Length Required',
    431: 'Request Header Fields Too Large',
    500: 'Internal Server Error',
    505: 'HTTP Version Not Supported',
}


class WSGIServer(object):
    """A threaded HTTP/1.1 server for one WSGI application.

    The server listens from construction (so :attr:`port` is known at once)
    and serves from :meth:`start` to :meth:`stop`.

    Args:
        host (str): the address to listen on (IPv6 if it has a colon).
        port (int): the port to listen on; 0 picks a free one.
        application (callable): the WSGI application.
        idle_timeout (float): seconds a connection may stay idle between
            requests before it is closed.
        name (str): the name of the server's threads (connections' threads
            get a number after it).

    Raises:
        OSError: the server cannot listen on ``host:port``.
    """

    def __init__(self, host, port, application, idle_timeout=IDLE_TIMEOUT,
                 name='wsgi-server'):
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        self._listener = socket.create_server(
            (host, port), family=family, backlog=_BACKLOG)
        # accept() after select(): a client gone in between must not block
        # the listening thread.
        self._listener.setblocking(False)
        self.server_address = self._listener.getsockname()[:2]
        self.application = application
        self.idle_timeout = idle_timeout
        self.name = name
        #: int: connections accepted so far.
        self.accepted = 0
        self._lock = threading.Lock()
        self._connections = set()
        self._stopping = False
        self._thread = None
        # A byte on this pair wakes the listening thread out of select():
        # closing or shutting a listening socket wakes no select() on some
        # systems.
        self._wakeup_reader, self._wakeup_writer = socket.socketpair()

    @property
    def port(self):
        """int: the port the server listens on."""
        return self.server_address[1]

    def start(self):
        """Start serving, on a daemon thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._serve, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop listening and close every connection.

        Idle connections are closed at once, and their threads waited for
        (up to ``timeout`` seconds). A connection whose request the
        application is still answering (a long poll) gets its answer, then
        is closed: its thread is not waited for.

        Args:
            timeout (float): seconds to wait for idle connections' threads.
        """
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            idle = []
            for connection in self._connections:
                if not connection.busy:
                    idle.append(connection)
                connection.shut(everything=not connection.busy)
        self._wakeup_writer.send(b'\0')
        if self._thread is not None:
            self._thread.join()
        self._listener.close()
        self._wakeup_reader.close()
        self._wakeup_writer.close()
        deadline = time.monotonic() + timeout
        for connection in idle:
            connection.thread.join(max(0, deadline - time.monotonic()))

    def _serve(self):
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wakeup_reader, selectors.EVENT_READ)
            while not self._stopping:
                selector.select()
                if self._stopping:
                    return
                try:
                    client, address = self._listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    # Out of file descriptors, most likely: the clients
                    # waiting will be accepted once some connections close.
                    logger.exception('%s cannot accept a connection',
                                     self.name)
                    time.sleep(0.1)
                    continue
                self._open(client, address)

    def _open(self, client, address):
        client.settimeout(self.idle_timeout)
        # Each answer is one write; no need for Nagle to hold anything back
        # (a 100 Continue followed by the answer is two).
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._stopping:
                client.close()
                return
            self.accepted += 1
            connection = _Connection(self, client, address)
            self._connections.add(connection)
            connection.thread = threading.Thread(
                target=connection.run,
                name='{}-{}'.format(self.name, self.accepted), daemon=True)
            # Started under the lock: stop() may join any thread it sees.
            connection.thread.start()

    def _forget(self, connection):
        with self._lock:
            self._connections.discard(connection)


class _BadRequest(Exception):
    """A request the server answers with an error, then closes on.

    Args:
        status (int): the HTTP status of the answer.
        message (str): the body of the answer.
    """

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# A request read off a connection: the request line's three parts, the
# (name, value) header pairs, the Content-Length (None without one) and the
# body.
_Request = collections.namedtuple(
    '_Request', 'method target version headers length body')


class _Connection(object):
    """One client connection, served on a thread of its own.

    Args:
        server (WSGIServer): the server that accepted it.
        client (socket.socket): the connection's socket.
        address (tuple): the client's address.
    """

    def __init__(self, server, client, address):
        self.server = server
        self.socket = client
        self.address = address
        self.thread = None
        # Set from a request's arrival to its answer's departure; guarded by
        # the server's lock.
        self.busy = False

    def shut(self, everything):
        """Wake the thread out of its read: with ``everything``, close the
        connection both ways; else only the way in, so that the answer in
        progress still goes out. Called with the server's lock held."""
        how = socket.SHUT_RDWR if everything else socket.SHUT_RD
        try:
            self.socket.shutdown(how)
        except OSError:
            pass  # The client has closed it already.

    def run(self):
        """Serve the connection's requests until it closes."""
        try:
            self._serve()
        except Exception:
            logger.exception('%s: connection from %s failed',
                             self.server.name, self.address)
        finally:
            self.server._forget(self)
            self.socket.close()

    def _serve(self):
        reader = self.socket.makefile('rb')
        try:
            while self._wait_for_request():
                try:
                    request = _read_request(reader, self._send)
                except _BadRequest as error:
                    logger.debug('%s: refused a request from %s: %s',
                                 self.server.name, self.address, error)
                    self._send(_error_answer(error.status, error.message))
                    return
                if request is None or not self._start_answering():
                    return
                keep_alive = self._answer(request)
                if not keep_alive:
                    return
        except OSError as error:
            # Idle timeout, or the client went away (reset, broken pipe).
            logger.debug('%s: connection from %s closed: %s',
                         self.server.name, self.address, error)
        finally:
            reader.close()

    def _wait_for_request(self):
        with self.server._lock:
            self.busy = False
            return not self.server._stopping

    def _start_answering(self):
        with self.server._lock:
            self.busy = True
            return not self.server._stopping

    def _answer(self, request):
        """Answer one request; return whether the connection stays open."""
        try:
            status, headers, body = _call(
                self.server.application, self._environ(request))
        except Exception:
            logger.exception('%s: error answering %s %s',
                             self.server.name, request.method, request.target)
            status = None
        # Decided once the application is done: a server stopped meanwhile
        # closes the connection after this answer.
        keep_alive = _keeps_alive(request) and not self.server._stopping
        if status is not None:
            try:
                data, keep_alive = _answer_bytes(
                    status, headers, body, request.method, keep_alive)
            except Exception:
                logger.exception(
                    '%s: malformed answer to %s %s', self.server.name,
                    request.method, request.target)
                status = None
        if status is None:
            data = _error_answer(
                500, 'Internal Server Error', keep_alive=keep_alive)
        self._send(data)
        return keep_alive

    def _environ(self, request):
        target = request.target
        if target[:8].lower().startswith(('http://', 'https://')):
            # An absolute URL, as sent to a proxy.
            split = urlsplit(target)
            path, query = split.path or '/', split.query
        else:
            path, _, query = target.partition('?')
        environ = {
            'REQUEST_METHOD': request.method,
            'SCRIPT_NAME': '',
            'PATH_INFO': unquote_to_bytes(path).decode('latin-1'),
            'QUERY_STRING': query,
            'REQUEST_URI': target,
            'RAW_URI': target,
            'CONTENT_TYPE': '',
            'CONTENT_LENGTH': (
                '' if request.length is None else str(request.length)),
            'SERVER_NAME': str(self.server.server_address[0]),
            'SERVER_PORT': str(self.server.port),
            'SERVER_PROTOCOL': request.version,
            'REMOTE_ADDR': str(self.address[0]),
            'REMOTE_PORT': str(self.address[1]),
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': 'http',
            'wsgi.input': io.BytesIO(request.body),
            'wsgi.input_terminated': True,
            'wsgi.errors': sys.stderr,
            'wsgi.multithread': True,
            'wsgi.multiprocess': False,
            'wsgi.run_once': False,
        }
        environ.update(_header_variables(request.headers))
        return environ

    def _send(self, data):
        self.socket.sendall(data)


def _read_request(reader, send):
    """Read one request off a connection.

    Args:
        reader (io.BufferedReader): the connection's reader.
        send (callable): sends bytes to the client (for a ``100 Continue``).

    Returns:
        _Request: the request, or None if the client closed the connection
        before sending a whole one.

    Raises:
        _BadRequest: the request is malformed or framed in a way the server
            does not read.
        OSError: the connection timed out or failed.
    """
    line = reader.readline(MAX_LINE + 1)
    if line in (b'\r\n', b'\n'):
        # RFC 9112 2.2: a server should ignore an empty line before a
        # request (some clients send one after a body).
        line = reader.readline(MAX_LINE + 1)
    if not line.endswith(b'\n'):
        if len(line) > MAX_LINE:
            raise _BadRequest(400, 'Request line too long.')
        return None  # Closed, maybe halfway through a line.
    method, target, version = _parse_request_line(line)
    headers = _read_headers(reader)
    if headers is None:
        return None
    length = _body_length(headers)
    if length and version == 'HTTP/1.1' and any(
            name.lower() == 'expect' and value.lower() == '100-continue'
            for name, value in headers):
        send(b'HTTP/1.1 100 Continue\r\n\r\n')
    body = reader.read(length) if length else b''
    if length and len(body) < length:
        return None
    return _Request(method, target, version, headers, length, body)


def _parse_request_line(line):
    parts = line.decode('latin-1').rstrip('\r\n').split(' ')
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise _BadRequest(400, 'Malformed request line.')
    method, target, version = parts
    match = _VERSION.fullmatch(version)
    if not match:
        raise _BadRequest(400, 'Malformed request line.')
    if match.group(1) != '1':
        raise _BadRequest(505, 'Only HTTP/1.x is served.')
    return method, target, version


def _read_headers(reader):
    """Read the header lines of a request.

    Returns:
        list: the (name, value) pairs, in order; None if the client closed
        the connection before their end.
    """
    headers = []
    while True:
        line = reader.readline(MAX_LINE + 1)
        if not line.endswith(b'\n'):
            if len(line) > MAX_LINE:
                raise _BadRequest(431, 'Header line too long.')
            return None  # Closed, maybe halfway through a line.
        if line in (b'\r\n', b'\n'):
            return headers
        text = line.decode('latin-1').rstrip('\r\n')
        if text[0] in ' \t':
            # An obsolete folded line: the rest of the previous value.
            if not headers:
                raise _BadRequest(400, 'Malformed header line.')
            name, value = headers[-1]
            headers[-1] = (name, '{} {}'.format(value, text.strip()))
            continue
        name, colon, value = text.partition(':')
        if not colon or not _TOKEN.fullmatch(name):
            raise _BadRequest(400, 'Malformed header line.')
        headers.append((name, value.strip()))
        if len(headers) > MAX_HEADERS:
            raise _BadRequest(431, 'Too many header lines.')


def _body_length(headers):
    """Return the request's Content-Length, None if it has none."""
    lengths = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered == 'transfer-encoding':
            raise _BadRequest(
                411, 'A request body needs a Content-Length.')
        if lowered == 'content-length':
            lengths.update(part.strip() for part in value.split(','))
    if not lengths:
        # RFC 9112 6.3: no length and no transfer coding, no body.
        return None
    if len(lengths) > 1 or not _DIGITS.fullmatch(next(iter(lengths))):
        raise _BadRequest(400, 'Malformed Content-Length.')
    return int(lengths.pop())


def _connection_options(headers):
    options = set()
    for name, value in headers:
        if name.lower() == 'connection':
            options.update(
                option.strip().lower() for option in value.split(','))
    return options


def _keeps_alive(request):
    """Whether the client asks the connection to stay open after the
    answer (HTTP/1.1 unless ``close``, HTTP/1.0 only with ``keep-alive``)."""
    options = _connection_options(request.headers)
    if request.version == 'HTTP/1.0':
        return 'keep-alive' in options
    return 'close' not in options


def _header_variables(headers):
    """Return the environ variables of a request's headers.

    Each header ``Name-Of-It`` is ``HTTP_NAME_OF_IT`` (``Content-Type`` is
    ``CONTENT_TYPE``; the request's framing sets ``CONTENT_LENGTH``);
    repeated headers are joined with commas. Names with underscores are kept
    too (moto reads some, such as S3 metadata), but never stand in for a
    dashed name that maps to the same variable, nor for the content
    variables.
    """
    dashed = {}
    underscored = {}
    for name, value in headers:
        key = name.upper().replace('-', '_')
        if key == 'CONTENT_LENGTH' or (key == 'CONTENT_TYPE' and '_' in name):
            continue
        if key != 'CONTENT_TYPE':
            key = 'HTTP_' + key
        values = underscored if '_' in name else dashed
        values.setdefault(key, []).append(value)
    variables = {
        key: ','.join(values) for key, values in underscored.items()
        if key not in dashed}
    variables.update(
        (key, ','.join(values)) for key, values in dashed.items())
    return variables


def _call(application, environ):
    """Run a WSGI application on a request.

    Returns:
        tuple: the status line (str), the headers (list of pairs) and the
        whole body (bytes) of the answer.
    """
    started = []
    chunks = []

    def start_response(status, headers, exc_info=None):
        # Nothing is sent before the application returns: a later call with
        # exc_info (an error page) simply replaces the answer.
        if started and exc_info is None:
            raise AssertionError('start_response called twice')
        started[:] = [(status, headers)]
        return chunks.append

    result = application(environ, start_response)
    try:
        for chunk in result:
            if chunk:
                chunks.append(chunk)
    finally:
        close = getattr(result, 'close', None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError('The application did not call start_response.')
    status, headers = started[0]
    return status, headers, b''.join(chunks)


def _answer_bytes(status, headers, body, method, keep_alive):
    """Build an answer: status line, headers and body, ready to send.

    Returns:
        tuple: the bytes, and whether the connection stays open after them
        (not if the application asked ``Connection: close``).
    """
    code = int(status[:3])
    # RFC 9110 6.4.1: no body for these, whatever the application gave.
    bodyless = method == 'HEAD' or code < 200 or code in (204, 304)
    lines = ['HTTP/1.1 ' + status]
    has_date = False
    for name, value in headers:
        lowered = name.lower()
        if lowered in _HOP_BY_HOP:
            if lowered == 'connection' and 'close' in value.lower():
                keep_alive = False
            continue
        if lowered == 'content-length' and not bodyless:
            # The body is whole: its length is known, and a wrong value
            # from the application would derail the next answers.
            continue
        has_date = has_date or lowered == 'date'
        lines.append('{}: {}'.format(name, value))
    if bodyless:
        body = b''
    else:
        lines.append('Content-Length: {}'.format(len(body)))
    if not has_date:
        lines.append('Date: ' + _http_date())
    lines.append('Connection: ' + ('keep-alive' if keep_alive else 'close'))
    head = '\r\n'.join(lines) + '\r\n\r\n'
    return head.encode('latin-1') + body, keep_alive


def _error_answer(status, message, keep_alive=False):
    """Build the answer of an error the server itself reports."""
    body = (message + '\n').encode('utf-8')
    data, _ = _answer_bytes(
        '{} {}'.format(status, _REASONS[status]),
        [('Content-Type', 'text/plain; charset=utf-8')], body, 'GET',
        keep_alive)
    return data


_date_cache = (None, None)


def _http_date():
    # Formatting a date costs more than the rest of the head: format it
    # once a second. Threads racing here format the same string.
    global _date_cache
    now = int(time.time())
    second, text = _date_cache
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _date_cache = (now, text)
    return text
