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


@pytest.fixture(autouse=True)
def no_pause_after_poll_errors(monkeypatch):
    """Workers pause a second after a failed poll; tests need not wait."""
    from garcon import activity
    pauses = []
    monkeypatch.setattr(activity, 'POLL_ERROR_PAUSE', 0)
    monkeypatch.setattr(
        activity, 'pause_after_poll_error',
        lambda: pauses.append(activity.POLL_ERROR_PAUSE))
    return pauses
