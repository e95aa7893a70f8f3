"""Tests for garcon.compat: boto 2 on every supported Python.

They run unchanged on Python 3.9 to 3.13. Before 3.12 they record how boto
behaves unpatched; from 3.12 on they show that the patched boto behaves the
same, in particular that HTTPS certificates are still validated: each HTTPS
test starts a local TLS server with certificates made at run time.
"""

# garcon first: importing it installs the patches boto needs on 3.12+.
import garcon

import datetime
import http.server
import ipaddress
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import types

import boto
import boto.connection
import boto.https_connection
import boto.plugin
import boto.swf.layer1
import boto.swf.layer2
import pytest
from boto.regioninfo import RegionInfo

from garcon import compat

PATCHED = sys.version_info >= compat.FIRST_PATCHED_VERSION

#: The directory holding the garcon package, for the Pythons run here.
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    garcon.__file__)))

#: The host the TLS server listens on, and the name boto checks: boto only
#: compares DNS names (or the common name) of a certificate with the host,
#: so the valid certificate carries "127.0.0.1" as a DNS name.
HOST = '127.0.0.1'

SWF_RESPONSE = {'domainInfos': []}

# Deprecated (3.10, 3.11) or utcnow-based (3.12+) calls inside boto itself.
pytestmark = [
    pytest.mark.filterwarnings('ignore:ssl.wrap_socket:DeprecationWarning'),
    pytest.mark.filterwarnings(
        'ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning'),
    pytest.mark.filterwarnings(
        'ignore:datetime.datetime.utcnow:DeprecationWarning'),
]


# Imports.

def test_boto_imports_after_garcon(tmp_path):
    result = _run_python(tmp_path, """
        import sys
        import garcon
        import boto, boto.swf.layer1, boto.swf.layer2, boto.plugin
        import boto.connection, boto.https_connection
        print(boto.__version__)
        if sys.version_info >= (3, 12):
            # The imp stand-in is boto.plugin's only.
            assert 'imp' not in sys.modules
        """)
    assert result.stdout.strip() == '2.49.0'


def test_apply_is_idempotent():
    compat.apply()
    compat.apply()
    finders = [finder for finder in sys.meta_path
               if type(finder).__module__ == compat.__name__]
    assert len(finders) == (1 if PATCHED else 0)


@pytest.mark.skipif(PATCHED, reason='boto is patched from Python 3.12 on')
def test_older_pythons_are_left_alone():
    assert boto.https_connection.ssl is ssl
    assert boto.connection.ssl is ssl
    assert boto.vendored.six.__name__ == 'boto.vendored.six'
    assert 'readfp' not in vars(boto.pyami.config.Config)


@pytest.mark.skipif(not PATCHED, reason='boto needs no patch before 3.12')
def test_patches_stay_within_boto(tmp_path):
    import six

    assert boto.vendored.six is six
    assert boto.compat.six is six
    assert not hasattr(ssl, 'wrap_socket')
    assert boto.https_connection.ssl.SSLError is ssl.SSLError
    # In a new Python, as other tests' imports could rename these too.
    _run_python(tmp_path, """
        import garcon
        import boto
        import queue, six
        # Aliasing must not rename the modules behind the alias.
        assert six.__spec__.name == 'six', six.__spec__
        assert queue.__spec__.name == 'queue', queue.__spec__
        """)


def test_boto_plugins_load(tmp_path):
    plugins = tmp_path / 'plugins'
    plugins.mkdir()
    (plugins / 'garcon_test_plugin.py').write_text('LOADED = True\n')
    config = tmp_path / 'boto.cfg'
    config.write_text('[Plugin]\nplugin_directory = {}\n'.format(plugins))
    result = _run_python(tmp_path, """
        import sys
        import garcon
        import boto
        print(sys.modules['garcon_test_plugin'].LOADED)
        """, BOTO_CONFIG=str(config))
    assert result.stdout.strip() == 'True'


def test_boto_reads_aws_credential_file(tmp_path):
    credentials = tmp_path / 'credentials'
    credentials.write_text('AWSAccessKeyId=AKIDGARCON\nAWSSecretKey=s3cr3t\n')
    result = _run_python(tmp_path, """
        import garcon
        import boto
        print(boto.config.get('Credentials', 'aws_access_key_id'))
        """, AWS_CREDENTIAL_FILE=str(credentials))
    assert result.stdout.strip() == 'AKIDGARCON'


# HTTPS: a certificate is accepted only if trusted and for the right host.

@pytest.mark.parametrize('client', ['layer1', 'https_connection'])
def test_https_accepts_a_valid_certificate(client, pki, serve, call):
    server = serve(pki.valid)
    assert call[client](server.port, pki.ca) == SWF_RESPONSE
    assert len(server.received) == 1
    if client == 'layer1':
        assert server.received[0]['target'].endswith(
            '.SimpleWorkflowService.ListDomains')


@pytest.mark.parametrize('client', ['layer1', 'https_connection'])
def test_https_refuses_a_certificate_for_another_host(
        client, pki, serve, call):
    server = serve(pki.wrong_host)
    with pytest.raises(boto.https_connection.InvalidCertificateException):
        call[client](server.port, pki.ca)
    assert server.received == []


@pytest.mark.parametrize('client', ['layer1', 'https_connection'])
def test_https_refuses_an_untrusted_certificate(client, pki, serve, call):
    server = serve(pki.untrusted)
    with pytest.raises(ssl.SSLCertVerificationError):
        call[client](server.port, pki.ca)
    assert server.received == []


def test_https_without_a_ca_file_trusts_nothing(
        pki, serve, call, monkeypatch):
    # boto's "ca_certificates_file = system" setting means no CA file; like
    # ssl.wrap_socket, the stand-in then loads no CA at all, even the one
    # OpenSSL's environment variables point to.
    monkeypatch.setenv('SSL_CERT_FILE', pki.ca)
    server = serve(pki.valid)
    with pytest.raises(ssl.SSLCertVerificationError):
        call['https_connection'](server.port, None)


@pytest.mark.parametrize('module_name', ['connection', 'https_connection'])
def test_boto_modules_wrap_sockets_as_before(module_name, pki, serve):
    # boto.connection wraps sockets itself when going through a proxy.
    boto_ssl = getattr(boto, module_name).ssl
    server = serve(pki.valid)
    sock = socket.create_connection((HOST, server.port), timeout=5)
    with boto_ssl.wrap_socket(sock, cert_reqs=ssl.CERT_REQUIRED,
                              ca_certs=pki.ca) as tls:
        assert boto.https_connection.ValidateCertificateHostname(
            tls.getpeercert(), HOST)
    untrusted = serve(pki.untrusted)
    sock = socket.create_connection((HOST, untrusted.port), timeout=5)
    with sock, pytest.raises(ssl.SSLCertVerificationError):
        boto_ssl.wrap_socket(sock, cert_reqs=ssl.CERT_REQUIRED,
                             ca_certs=pki.ca)


# SWF over plain HTTP, against moto's server.

def test_swf_over_http_on_local_moto(no_retry_sleep, monkeypatch):
    moto_server = pytest.importorskip('moto.server')
    # boto sends plain HTTP requests through $http_proxy when it is set.
    monkeypatch.delenv('http_proxy', raising=False)
    from garcon import connection

    server = moto_server.ThreadedMotoServer(
        ip_address=HOST, port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        swf = connection.connect(endpoint='http://{}:{}'.format(HOST, port))
        swf.register_domain('garcon-compat', '1')
        domains = swf.list_domains('REGISTERED')['domainInfos']
    finally:
        server.stop()
    # moto's state is the process's: other tests' domains may be there.
    assert 'garcon-compat' in [domain['name'] for domain in domains]


# Helpers.

def _run_python(tmp_path, code, **environ):
    """Run code in a new Python, where boto has not been imported yet.

    Args:
        tmp_path (pathlib.Path): a scratch directory.
        code (str): the code to run (dedented).
        **environ: environment variables to set.

    Returns:
        subprocess.CompletedProcess: the finished process (exit status 0).
    """
    env = {name: value for name, value in os.environ.items()
           if name not in ('BOTO_PATH', 'AWS_CREDENTIAL_FILE')}
    # An empty configuration, whatever the developer's own ~/.boto holds.
    env['BOTO_CONFIG'] = str(tmp_path / 'no-boto-config')
    env['PYTHONPATH'] = os.pathsep.join(
        [SOURCE_ROOT] + [path for path in [os.environ.get('PYTHONPATH')]
                         if path])
    env.update(environ)
    result = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)], env=env,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def no_retry_sleep(monkeypatch):
    """Make boto retry failed requests without waiting.

    boto's SWF Layer1 tries a request 11 times, sleeping up to a minute in
    between, when the connection or the server fails: tests that expect a
    failure, or meet one, must not take minutes.
    """
    fast_time = types.ModuleType('time')
    fast_time.__getattr__ = lambda name: getattr(time, name)
    fast_time.sleep = lambda seconds: None
    monkeypatch.setattr(boto.connection, 'time', fast_time)


@pytest.fixture
def call(monkeypatch, no_retry_sleep):
    """The two ways tests talk HTTPS: an SWF Layer1, or boto's connection.

    Each is a function (port, ca_file) -> decoded JSON response.
    """
    # boto sends requests through $http_proxy when it is set.
    monkeypatch.delenv('http_proxy', raising=False)

    def layer1(port, ca_file):
        swf = boto.swf.layer1.Layer1(
            aws_access_key_id='garcon', aws_secret_access_key='garcon',
            is_secure=True, port=port,
            region=RegionInfo(name='us-east-1', endpoint=HOST))
        # Set here, as a boto configuration file could change them.
        swf.https_validate_certificates = True
        swf.ca_certificates_file = ca_file
        return swf.list_domains('REGISTERED')

    def https_connection(port, ca_file):
        connection = boto.https_connection.CertValidatingHTTPSConnection(
            HOST, port, ca_certs=ca_file, timeout=5)
        try:
            connection.request('POST', '/', body=b'{}')
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    return {'layer1': layer1, 'https_connection': https_connection}


@pytest.fixture
def serve():
    """Start local TLS servers; a function (cert_and_key) -> _TLSServer."""
    servers = []

    def start(cert_and_key):
        server = _TLSServer(*cert_and_key)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={'poll_interval': 0.05},
            daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _SWFHandler(http.server.BaseHTTPRequestHandler):
    """Answers every POST with an empty list of SWF domains."""

    def do_POST(self):  # noqa: N802 (the name http.server calls)
        """Record the request and answer it."""
        length = int(self.headers.get('Content-Length') or 0)
        self.server.received.append({
            'target': self.headers.get('X-Amz-Target'),
            'body': self.rfile.read(length)})
        payload = json.dumps(SWF_RESPONSE).encode('utf-8')
        self.send_response(200)
        self.send_header('Content-Type', 'application/x-amz-json-1.0')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # noqa: A002
        """Keep the test output quiet."""


class _TLSServer(socketserver.ThreadingTCPServer):
    """An HTTPS server on a free port of 127.0.0.1, one thread a client."""

    daemon_threads = True

    def __init__(self, certfile, keyfile):
        """Listen, with the given server certificate.

        Args:
            certfile (str): the server certificate (PEM).
            keyfile (str): its private key (PEM).
        """
        super().__init__((HOST, 0), _SWFHandler)
        self.port = self.server_address[1]
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        self.received = []

    def finish_request(self, request, client_address):
        """Do the TLS handshake in the client's thread, then serve it."""
        request.settimeout(5)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:
            # The client refused the certificate: nothing to serve.
            return
        with tls:
            super().finish_request(tls, client_address)


# Certificates.

@pytest.fixture(scope='session')
def pki(tmp_path_factory):
    """A test CA, and server certificates: one valid, two not.

    Returns:
        types.SimpleNamespace: ``ca`` (the trusted CA file); ``valid``,
        ``wrong_host`` and ``untrusted`` ((certificate, key) file pairs).
    """
    directory = str(tmp_path_factory.mktemp('pki'))
    try:
        import cryptography  # noqa: F401
        issue = _CryptographyIssuer(directory)
    except ImportError:
        if not shutil.which('openssl'):
            pytest.skip('needs the cryptography package or openssl')
        issue = _OpenSSLIssuer(directory)
    ca = issue.ca('Garcon Test CA')
    other_ca = issue.ca('Garcon Untrusted CA')
    return types.SimpleNamespace(
        ca=ca[0],
        valid=issue.server(ca, 'valid', HOST),
        wrong_host=issue.server(ca, 'wrong-host', 'swf.wrong.example'),
        untrusted=issue.server(other_ca, 'untrusted', HOST))


class _CryptographyIssuer(object):
    """Makes certificates with the cryptography package."""

    def __init__(self, directory):
        """Write files to directory."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.directory = directory
        self.x509 = x509
        self.hashes = hashes
        self.serialization = serialization
        self.ec = ec
        self.keys = {}

    def ca(self, common_name):
        """Issue a self-signed CA; return its (certificate, key) files."""
        x509 = self.x509
        key = self.ec.generate_private_key(self.ec.SECP256R1())
        name = self._name(common_name)
        builder = self._builder(name, name, key.public_key())
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False,
            key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        return self._write(common_name.replace(' ', '-'), builder, key, key)

    def server(self, ca, name, host):
        """Issue a certificate for host signed by ca; return its files."""
        x509 = self.x509
        ca_key = self.keys[ca[1]]
        key = self.ec.generate_private_key(self.ec.SECP256R1())
        builder = self._builder(
            self._name(host), self._load(ca[0]).subject, key.public_key())
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True)
        names = [x509.DNSName(host)]
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            pass
        builder = builder.add_extension(
            x509.SubjectAlternativeName(names), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False)
        return self._write(name, builder, key, ca_key)

    def _builder(self, subject, issuer, public_key):
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = self.x509.CertificateBuilder()
        builder = builder.subject_name(subject).issuer_name(issuer)
        builder = builder.public_key(public_key)
        builder = builder.serial_number(self.x509.random_serial_number())
        # An hour back: the clock may differ a little between the two ends.
        builder = builder.not_valid_before(now - datetime.timedelta(hours=1))
        return builder.not_valid_after(now + datetime.timedelta(days=1))

    def _name(self, common_name):
        x509 = self.x509
        return x509.Name([x509.NameAttribute(
            x509.oid.NameOID.COMMON_NAME, common_name)])

    def _load(self, path):
        with open(path, 'rb') as pem:
            return self.x509.load_pem_x509_certificate(pem.read())

    def _write(self, name, builder, key, signing_key):
        serialization = self.serialization
        certificate = builder.sign(signing_key, self.hashes.SHA256())
        cert_path = os.path.join(self.directory, name + '.pem')
        key_path = os.path.join(self.directory, name + '.key')
        with open(cert_path, 'wb') as pem:
            pem.write(certificate.public_bytes(serialization.Encoding.PEM))
        with open(key_path, 'wb') as pem:
            pem.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
        self.keys[key_path] = key
        return cert_path, key_path


class _OpenSSLIssuer(object):
    """Makes certificates with the openssl command."""

    def __init__(self, directory):
        """Write files to directory."""
        self.directory = directory
        self.serial = 0

    def ca(self, common_name):
        """Issue a self-signed CA; return its (certificate, key) files."""
        name = common_name.replace(' ', '-')
        config = self._config(name, common_name, textwrap.dedent("""
            basicConstraints = critical, CA:TRUE
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            """))
        cert, key = self._paths(name)
        self._openssl(
            'req', '-x509', '-new', '-config', config, '-extensions', 'ext',
            '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
            '-nodes', '-sha256', '-days', '1', '-keyout', key, '-out', cert)
        return cert, key

    def server(self, ca, name, host):
        """Issue a certificate for host signed by ca; return its files."""
        alt_names = 'DNS:' + host
        try:
            ipaddress.ip_address(host)
            alt_names += ', IP:' + host
        except ValueError:
            pass
        config = self._config(name, host, textwrap.dedent("""
            basicConstraints = critical, CA:FALSE
            subjectAltName = {}
            extendedKeyUsage = serverAuth
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            """).format(alt_names))
        cert, key = self._paths(name)
        request = os.path.join(self.directory, name + '.csr')
        self._openssl(
            'req', '-new', '-config', config, '-newkey', 'ec',
            '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', key, '-out', request)
        self.serial += 1
        self._openssl(
            'x509', '-req', '-in', request, '-CA', ca[0], '-CAkey', ca[1],
            '-set_serial', str(self.serial), '-sha256', '-days', '1',
            '-extfile', config, '-extensions', 'ext', '-out', cert)
        return cert, key

    def _paths(self, name):
        return (os.path.join(self.directory, name + '.pem'),
                os.path.join(self.directory, name + '.key'))

    def _config(self, name, common_name, extensions):
        path = os.path.join(self.directory, name + '.cnf')
        with open(path, 'w') as config:
            config.write(
                '[req]\ndistinguished_name = dn\nprompt = no\n'
                '[dn]\nCN = {}\n[ext]\n{}'.format(common_name, extensions))
        return path

    def _openssl(self, *args):
        subprocess.run(
            ['openssl'] + list(args), cwd=self.directory, check=True,
            capture_output=True, timeout=30)
