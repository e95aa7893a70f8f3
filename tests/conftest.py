"""Fixtures shared by the tests: the embedded local SWF."""

# garcon makes boto importable on Python 3.12+: import it before any test
# module imports boto.
import garcon  # noqa: F401
import pytest


@pytest.fixture(scope='session')
def local_swf_server():
    """One embedded SWF server for the whole session."""
    local = pytest.importorskip('garcon.local')
    with local.LocalSWF(poll_timeout=1) as server:
        yield server


@pytest.fixture
def local_swf(local_swf_server, monkeypatch):
    """The embedded SWF, emptied, with the environment pointed at it."""
    local_swf_server.reset()
    monkeypatch.delenv('AWS_ENDPOINT_URL', raising=False)
    monkeypatch.setenv('AWS_ENDPOINT_URL_SWF', local_swf_server.endpoint)
    return local_swf_server
