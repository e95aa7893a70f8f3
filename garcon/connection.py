"""The one place that builds SWF connections.

Every SWF call Garcon makes goes through a :class:`Layer1` made here, so two
things hold everywhere:

* the endpoint follows the AWS SDK convention: ``AWS_ENDPOINT_URL_SWF``, else
  ``AWS_ENDPOINT_URL``, else the regional AWS endpoint (``AWS_REGION``,
  ``AWS_DEFAULT_REGION``, boto's ``[SWF] region``, or ``us-east-1``);
* a ``ThrottlingException`` is retried with exponential backoff and full
  jitter, whatever the call (polls, responds, heartbeats, history pages,
  registrations, starts); any other error surfaces at once.

Connections are made lazily (:class:`LazyConnection`): defining or importing a
flow needs neither credentials nor a network.
"""

import functools
import ipaddress
import logging
import os
import socket
from urllib.parse import urlsplit

import backoff
import boto
import boto.exception
from boto.regioninfo import RegionInfo
from boto.swf import layer1

from garcon import utils

ENDPOINT_ENV_VARIABLES = ('AWS_ENDPOINT_URL_SWF', 'AWS_ENDPOINT_URL')
REGION_ENV_VARIABLES = ('AWS_REGION', 'AWS_DEFAULT_REGION')
DEFAULT_REGION = 'us-east-1'

#: Tries of a throttled call, the first one included, before it surfaces.
THROTTLE_MAX_TRIES = 5

#: Longest wait, in seconds, between two tries of a throttled call.
THROTTLE_MAX_WAIT = 30

#: Scale of the waits: before try n + 1, a random wait of up to
#: ``THROTTLE_FACTOR * 2 ** n`` seconds (exponential backoff, full jitter).
THROTTLE_FACTOR = 1

# moto accepts any credentials; a local SWF should not need real ones.
LOCAL_CREDENTIALS = ('garcon-local', 'garcon-local')

#: Seconds :func:`check_reachable` waits for a TCP connection to SWF.
REACHABLE_TIMEOUT = 3


class ConfigurationError(Exception):
    """The SWF endpoint or the credentials to reach it are unusable."""


def endpoint_url(environ=None):
    """Return the SWF endpoint URL configured in the environment, if any.

    Args:
        environ (dict): the environment (defaults to ``os.environ``).

    Returns:
        str: the URL, or None to use the regional AWS endpoint.
    """
    environ = os.environ if environ is None else environ
    for variable in ENDPOINT_ENV_VARIABLES:
        if environ.get(variable):
            return environ[variable]
    return None


def region_name(environ=None):
    """Return the AWS region to use.

    Args:
        environ (dict): the environment (defaults to ``os.environ``).

    Returns:
        str: the region name.
    """
    environ = os.environ if environ is None else environ
    for variable in REGION_ENV_VARIABLES:
        if environ.get(variable):
            return environ[variable]
    return boto.config.get('SWF', 'region', DEFAULT_REGION)


def is_loopback(host):
    """Tell whether a host name designates this machine."""
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def throttle_waits():
    """Yield the waits between the tries of a throttled call.

    The settings are read when a call is first throttled, so they can be
    changed at run time (tests make them short).
    """
    return backoff.expo(factor=THROTTLE_FACTOR, max_value=THROTTLE_MAX_WAIT)


class Layer1(layer1.Layer1):
    """boto's SWF Layer1 with throttling backoff on every call.

    Every Layer1 action funnels through :meth:`json_request`, which is where
    the backoff sits.
    """

    @backoff.on_exception(
        throttle_waits,
        boto.exception.SWFResponseError,
        max_tries=lambda: THROTTLE_MAX_TRIES,
        jitter=backoff.full_jitter,
        giveup=utils.non_throttle_error,
        # Errors that are not throttles are the caller's to report (an
        # "already registered" answer is no error at all).
        giveup_log_level=logging.DEBUG,
        on_backoff=utils.throttle_backoff_handler)
    def json_request(self, action, data, object_hook=None):
        return super().json_request(action, data, object_hook)


def connect(endpoint=None, region=None, aws_access_key_id=None,
            aws_secret_access_key=None):
    """Build an SWF connection.

    Args:
        endpoint (str): the endpoint URL; by default the one configured in
            the environment (see :func:`endpoint_url`), else AWS.
        region (str): the region; by default :func:`region_name`.
        aws_access_key_id (str): credentials; by default boto's own lookup
            (environment, configuration files, instance role).
        aws_secret_access_key (str): see ``aws_access_key_id``.

    Returns:
        Layer1: the connection.

    Raises:
        ConfigurationError: the endpoint is malformed or no credentials can
            be found for it.
    """
    endpoint = endpoint or endpoint_url()
    region = region or region_name()
    credentials = (aws_access_key_id, aws_secret_access_key)
    try:
        if not endpoint:
            return Layer1(
                *credentials, region=_aws_region(region))
        return _connect_to_endpoint(endpoint, region, credentials)
    except boto.exception.NoAuthHandlerFound:
        raise ConfigurationError(
            'No AWS credentials found to reach SWF at {}: set '
            'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a boto '
            'configuration file).'.format(endpoint or 'AWS ' + region))


def _aws_region(region):
    for info in boto.swf.regions():
        if info.name == region:
            return info
    raise ConfigurationError(
        'Unknown AWS region for SWF: {!r}.'.format(region))


def _connect_to_endpoint(endpoint, region, credentials):
    url = urlsplit(endpoint)
    if url.scheme not in ('http', 'https') or not url.hostname:
        raise ConfigurationError(
            'Invalid SWF endpoint URL {!r}: expected http(s)://host[:port].'
            .format(endpoint))

    has_credentials = all(credentials) or os.environ.get('AWS_ACCESS_KEY_ID')
    if is_loopback(url.hostname) and not has_credentials:
        credentials = LOCAL_CREDENTIALS

    secure = url.scheme == 'https'
    connection = Layer1(
        *credentials,
        is_secure=secure,
        port=url.port or (443 if secure else 80),
        region=RegionInfo(name=region, endpoint=url.hostname))
    # SigV4 derives the service and region from the host name, which only
    # works for AWS host names: name them.
    connection.auth_service_name = 'swf'
    connection.auth_region_name = region
    return connection


class LazyConnection(object):
    """Mixin giving boto layer2 objects a connection made on first use.

    boto's layer2 classes build their Layer1 in ``__init__``, which needs
    credentials at once. Objects that mix this in build it when ``_swf`` is
    first read, from their ``aws_access_key_id``, ``aws_secret_access_key``
    and ``endpoint`` attributes (all optional). Assigning ``_swf`` replaces
    the connection, which tests use to inject faults.
    """

    aws_access_key_id = None
    aws_secret_access_key = None
    endpoint = None

    @property
    def _swf(self):
        connection = self.__dict__.get('_swf_connection')
        if connection is None:
            connection = connect(
                endpoint=self.endpoint,
                aws_access_key_id=self.aws_access_key_id,
                aws_secret_access_key=self.aws_secret_access_key)
            self.__dict__['_swf_connection'] = connection
        return connection

    @_swf.setter
    def _swf(self, connection):
        self.__dict__['_swf_connection'] = connection


def endpoint_address(endpoint=None, region=None):
    """Return the host and port an SWF connection would talk to.

    Args:
        endpoint (str): the endpoint URL; by default the one configured in
            the environment (see :func:`endpoint_url`), else AWS.
        region (str): the AWS region when no endpoint is configured; by
            default :func:`region_name`.

    Returns:
        tuple: ``(host, port)``.

    Raises:
        ConfigurationError: the endpoint is malformed or the region unknown.
    """
    endpoint = endpoint or endpoint_url()
    if not endpoint:
        return _aws_region(region or region_name()).endpoint, 443
    url = _parse_endpoint(endpoint)
    return url.hostname, url.port or (443 if url.scheme == 'https' else 80)


def check_reachable(endpoint=None, region=None, timeout=REACHABLE_TIMEOUT):
    """Check, quickly, that SWF's host accepts connections.

    boto retries a refused or failed connection about ten times, sleeping
    longer each time, before it raises: minutes in which a command seems to
    hang. One plain TCP connection tells at once.

    Args:
        endpoint (str): the endpoint URL (see :func:`endpoint_address`).
        region (str): the AWS region when no endpoint is configured.
        timeout (float): seconds to wait for the connection.

    Raises:
        ConfigurationError: nothing accepts connections there.
    """
    host, port = endpoint_address(endpoint, region)
    try:
        probe = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:
        where = endpoint or endpoint_url() or 'https://{}'.format(host)
        raise ConfigurationError('Cannot reach SWF at {}: {}.'.format(
            where, error.strerror or error or 'timed out'))
    probe.close()


def limit_retries(swf_connection, retries=0):
    """Make a connection give up sooner on server errors.

    boto's SWF layer retries a request that failed with a 5xx answer ten
    times, sleeping up to a minute between tries. That suits workers, not a
    one-shot command, which would be held for minutes by an endpoint that
    keeps answering 500. Throttles are still retried (see
    :class:`Layer1`).

    Args:
        swf_connection (Layer1): the connection (changed in place).
        retries (int): retries after the first try.

    Returns:
        Layer1: the connection.
    """
    send = swf_connection._mexe

    @functools.wraps(send)
    def send_with_fewer_retries(request, sender=None,
                                override_num_retries=None,
                                retry_handler=None):
        return send(request, sender=sender, override_num_retries=retries,
                    retry_handler=retry_handler)

    swf_connection._mexe = send_with_fewer_retries
    return swf_connection


def _parse_endpoint(endpoint):
    url = urlsplit(endpoint)
    try:
        url.port
    except ValueError:
        url = None
    if url is None or url.scheme not in ('http', 'https') or not url.hostname:
        raise ConfigurationError(
            'Invalid SWF endpoint URL {!r}: expected http(s)://host[:port].'
            .format(endpoint))
    return url
