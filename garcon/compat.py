"""Patches that let boto 2.49 run on Python 3.12 and later.

boto 2 is no longer maintained and relies on a few things Python 3.12
removed. :func:`apply` puts back, for boto only, what it needs:

* ``boto.vendored.six`` (an old copy of ``six`` that no longer imports) is
  served by the installed ``six`` package;
* ``boto.plugin`` gets a minimal ``imp`` module while it is imported;
* ``boto.connection`` and ``boto.https_connection`` get an ``ssl`` module that
  still has ``wrap_socket``, so certificates keep being validated;
* ``boto.pyami.config.Config`` gets back ``readfp``, which boto calls to read
  ``AWS_CREDENTIAL_FILE``.

Nothing here imports boto: the patches are made by an import hook as boto's
modules load, so :func:`apply` must run before the first ``import boto`` (the
``garcon`` package does it first thing). Python 3.11 and older are left
untouched.
"""

import configparser
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import ssl
import sys
import types

logger = logging.getLogger(__name__)

#: The first Python that needs the patches.
FIRST_PATCHED_VERSION = (3, 12)

_VENDORED_SIX = 'boto.vendored.six'


def apply():
    """Make boto 2 importable and usable on this Python.

    Safe to call any number of times; does nothing before Python 3.12.
    """
    if sys.version_info < FIRST_PATCHED_VERSION:
        return
    if any(isinstance(finder, _BotoFinder) for finder in sys.meta_path):
        return
    # First in line: boto's own (broken) vendored six must never be found.
    sys.meta_path.insert(0, _BotoFinder())
    # boto modules loaded before this call (by someone who worked around the
    # six import another way) are patched now rather than never.
    for name, (_, after) in _MODULE_HOOKS.items():
        module = sys.modules.get(name)
        if module is not None and after is not None:
            after(module)
    logger.debug('boto 2 compatibility patches installed')


class _BotoFinder(importlib.abc.MetaPathFinder):
    """Finds boto's vendored six, and the boto modules that need patches."""

    def find_spec(self, fullname, path, target=None):
        """Return the spec of a module this finder handles, else None.

        Args:
            fullname (str): the module's full name.
            path (list): the parent package's ``__path__``.
            target (module): the module being reloaded, if any.

        Returns:
            ModuleSpec: the spec, or None for modules left to other finders.
        """
        if fullname == _VENDORED_SIX or fullname.startswith(
                _VENDORED_SIX + '.'):
            target_name = 'six' + fullname[len(_VENDORED_SIX):]
            return importlib.machinery.ModuleSpec(
                fullname, _AliasLoader(target_name))
        hooks = _MODULE_HOOKS.get(fullname)
        if hooks is None:
            return None
        spec = self._real_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _HookedLoader(spec.loader, *hooks)
        return spec

    def _real_spec(self, fullname, path, target):
        """Return the spec the other finders give for a module.

        Args:
            fullname (str): the module's full name.
            path (list): the parent package's ``__path__``.
            target (module): the module being reloaded, if any.

        Returns:
            ModuleSpec: the spec, or None if no other finder knows it.
        """
        for finder in sys.meta_path:
            if finder is self:
                continue
            find_spec = getattr(finder, 'find_spec', None)
            if find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


class _AliasLoader(importlib.abc.Loader):
    """Loads a module under a second name (``boto.vendored.six.*``)."""

    def __init__(self, target_name):
        """Remember the module to alias.

        Args:
            target_name (str): the full name of the module to serve.
        """
        self._target_name = target_name
        self._target_spec = None

    def create_module(self, spec):
        """Import and return the aliased module.

        Args:
            spec (ModuleSpec): the spec of the alias.

        Returns:
            module: the aliased module itself, not a copy.

        Raises:
            ImportError: the aliased module cannot be imported.
        """
        try:
            module = _resolve(self._target_name)
        except ImportError as error:
            raise ImportError(
                'boto 2 needs the six package on Python 3.12 and later '
                '({})'.format(error), name=spec.name) from error
        self._target_spec = getattr(module, '__spec__', None)
        return module

    def exec_module(self, module):
        """Undo the import system's renaming of the aliased module.

        Args:
            module (module): the module returned by :meth:`create_module`.
        """
        # The import system stamps the alias's spec on the module; the real
        # module (six, or a stdlib module six.moves points to) keeps its own.
        module.__spec__ = self._target_spec


def _resolve(name):
    """Return a module of the six package, importing it if needed.

    Args:
        name (str): the module's full name (``six``, ``six.moves.queue``...).

    Returns:
        module: the module.

    Raises:
        ImportError: no such module.
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    parent_name, _, attribute = name.rpartition('.')
    if parent_name:
        # Taken as an attribute of six.moves rather than imported by name:
        # importing six.moves.queue would stamp six's name on the spec of the
        # standard queue module.
        module = getattr(importlib.import_module(parent_name), attribute,
                         None)
        if isinstance(module, types.ModuleType):
            return module
    return importlib.import_module(name)


class _HookedLoader(importlib.abc.Loader):
    """Runs a module's real loader between two patch functions."""

    def __init__(self, loader, before, after):
        """Wrap a loader.

        Args:
            loader (Loader): the module's real loader.
            before (callable): called with the module before its code runs;
                returns a callable to run once the code has run, or None.
            after (callable): called with the module once loaded.
        """
        self._loader = loader
        self._before = before
        self._after = after

    def create_module(self, spec):
        """Let the real loader create the module.

        Args:
            spec (ModuleSpec): the module's spec.

        Returns:
            module: the new module, or None for the default one.
        """
        return self._loader.create_module(spec)

    def exec_module(self, module):
        """Run the module's code with the patches around it.

        Args:
            module (module): the module to load.
        """
        # Once loaded, the module must look as if this wrapper never was
        # there (source lookups, reloads go to the real loader).
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        undo = self._before(module) if self._before is not None else None
        try:
            self._loader.exec_module(module)
        finally:
            if undo is not None:
                undo()
        if self._after is not None:
            self._after(module)


def _lend_imp(module):
    """Make ``import imp`` work while ``boto.plugin`` is being imported.

    ``imp`` was removed in Python 3.12; boto.plugin imports it at the top and
    uses ``find_module`` and ``load_module`` to load the plugin files named
    by boto's ``[Plugin] plugin_directory`` setting. The stand-in is taken
    back from ``sys.modules`` right after, so that no other library mistakes
    it for the real ``imp``; boto.plugin keeps its own reference.

    Args:
        module (module): boto.plugin, not yet executed.

    Returns:
        callable: removes the stand-in, or None if ``imp`` was there already.
    """
    if 'imp' in sys.modules:
        return None
    stand_in = types.ModuleType(
        'imp', 'The part of imp that boto.plugin uses (garcon.compat).')
    stand_in.find_module = _imp_find_module
    stand_in.load_module = _imp_load_module
    sys.modules['imp'] = stand_in

    def undo():
        if sys.modules.get('imp') is stand_in:
            del sys.modules['imp']

    return undo


def _imp_find_module(name, path=None):
    """Find a module the way ``imp.find_module`` did, for ``boto.plugin``.

    Args:
        name (str): the module's name.
        path (list): the directories to search; sys.path if None.

    Returns:
        tuple: (file, pathname, description) where file is always None and
        description is the spec, which only :func:`_imp_load_module` reads.

    Raises:
        ImportError: no such module in ``path``.
    """
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is None or spec.loader is None:
        raise ImportError('No module named {!r}'.format(name), name=name)
    return None, spec.origin, spec


def _imp_load_module(name, file, pathname, description):
    """Load a module found by :func:`_imp_find_module`.

    Args:
        name (str): the module's name.
        file: unused (always None).
        pathname (str): unused (the spec knows it).
        description (ModuleSpec): the spec from :func:`_imp_find_module`.

    Returns:
        module: the loaded module, also registered in ``sys.modules`` like
        ``imp.load_module`` did.
    """
    module = importlib.util.module_from_spec(description)
    sys.modules[name] = module
    try:
        description.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _give_ssl_wrap_socket(module):
    """Give a boto module an ``ssl`` that still has ``wrap_socket``.

    ``ssl.wrap_socket`` was removed in Python 3.12, and boto calls it for
    every HTTPS connection that validates certificates (the default). Only
    boto's own reference to ``ssl`` is replaced, by a module that forwards
    everything else to the real ``ssl``: other code still sees a stock
    ``ssl`` module.

    Args:
        module (module): boto.connection or boto.https_connection.
    """
    if hasattr(getattr(module, 'ssl', None), 'wrap_socket'):
        return
    module.ssl = _SSL_WITH_WRAP_SOCKET


def _wrap_socket(sock, keyfile=None, certfile=None, cert_reqs=ssl.CERT_NONE,
                 ca_certs=None):
    """Wrap a client socket in TLS like ``ssl.wrap_socket`` did in 3.11.

    The context matches the one ``ssl.wrap_socket`` built: certificates are
    checked against ``ca_certs`` only (no system store is loaded), and the
    hostname is NOT checked, because boto checks it itself against the
    certificate right after the handshake (``ValidateCertificateHostname``).
    Like ``ssl.wrap_socket``, no server name (SNI) is sent.

    Args:
        sock (socket.socket): the connected socket.
        keyfile (str): the client's private key, if any.
        certfile (str): the client's certificate chain, if any.
        cert_reqs (ssl.VerifyMode): whether to require a valid server
            certificate.
        ca_certs (str): file of concatenated CA certificates to trust.

    Returns:
        ssl.SSLSocket: the socket, handshake done.

    Raises:
        ValueError: a key file is given without a certificate file.
        ssl.SSLError: the handshake failed (e.g. untrusted certificate).
    """
    if keyfile and not certfile:
        raise ValueError('certfile must be specified')
    # PROTOCOL_TLS_CLIENT rather than the deprecated PROTOCOL_TLS: with
    # check_hostname off and verify_mode set, the two contexts are the same.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    return context.wrap_socket(sock)


def _ssl_getattr(name):
    """Forward attribute lookups to the real ``ssl`` module."""
    return getattr(ssl, name)


_SSL_WITH_WRAP_SOCKET = types.ModuleType(
    'ssl', 'The ssl module, plus wrap_socket, for boto (garcon.compat).')
_SSL_WITH_WRAP_SOCKET.__getattr__ = _ssl_getattr
_SSL_WITH_WRAP_SOCKET.wrap_socket = _wrap_socket


def _give_config_readfp(module):
    """Give boto's ``Config`` back the ``readfp`` removed in Python 3.12.

    boto's ``Config`` forwards unknown attributes to a ``ConfigParser``,
    whose ``readfp`` is gone: ``import boto`` then fails whenever the
    ``AWS_CREDENTIAL_FILE`` environment variable is set (boto reads that file
    with ``readfp`` when it loads its configuration), as does
    ``Config(fp=...)``.

    Args:
        module (module): boto.pyami.config, just executed.
    """
    config_class = module.Config
    if hasattr(configparser.ConfigParser, 'readfp') or (
            'readfp' in vars(config_class)):
        return

    def readfp(self, fp, filename=None):
        """Read configuration from a file object (``read_file``).

        Args:
            fp: an iterable of lines.
            filename (str): the name of the file, for error messages.
        """
        self._parser.read_file(fp, source=filename)

    config_class.readfp = readfp


#: Module name -> (before, after) patch functions, see _HookedLoader.
_MODULE_HOOKS = {
    'boto.plugin': (_lend_imp, None),
    'boto.connection': (None, _give_ssl_wrap_socket),
    'boto.https_connection': (None, _give_ssl_wrap_socket),
    'boto.pyami.config': (None, _give_config_readfp),
}
