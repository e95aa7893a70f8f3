"""pytest fixtures to test flows on the embedded local SWF.

Installing Garcon registers this plugin with pytest (entry point
``pytest11``), so a project's tests can use its fixtures without a
``conftest.py``:

``garcon_swf``
    The embedded SWF (a :class:`garcon.local.LocalSWF`), emptied before the
    test, with ``AWS_ENDPOINT_URL_SWF`` pointed at it for the test's
    duration. One server runs for the whole session.

``garcon_run``
    A function ``garcon_run(flow, input=None, **options)`` that runs a flow
    to its end on that SWF and returns a :class:`garcon.testing.FlowRun`
    (``.status``, ``.context``, ``.reason``, ``.events``,
    ``.attempts(name)``); the options are those of
    :func:`garcon.testing.run_flow`.

::

    def test_greets(garcon_run):
        run = garcon_run(my_flow, input={'user': 'bob'})
        assert run.status == 'COMPLETED', run.reason
        assert run.context['greeting'] == 'hello bob'

Nothing heavy is imported until a fixture is used: without moto installed,
pytest and the tests that do not use these fixtures run as usual, and a test
that does use them errors with the command that installs moto.
"""

import pytest

#: Seconds an empty poll waits on the test SWF: short, so that the workers
#: of a finished test stop quickly.
POLL_TIMEOUT = 1


@pytest.fixture(scope='session')
def garcon_swf_server():
    """The embedded SWF server, one for the whole session."""
    from garcon import local
    server = local.LocalSWF(poll_timeout=POLL_TIMEOUT)
    problem = None
    try:
        server.start()
    except local.LocalSWFError as error:
        problem = str(error)
    # Failed outside the except block: no chained traceback in the report.
    if problem:
        pytest.fail('garcon_swf: {}'.format(problem), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def garcon_swf(garcon_swf_server, monkeypatch):
    """The embedded SWF, emptied, with the environment pointed at it."""
    garcon_swf_server.reset()
    monkeypatch.delenv('AWS_ENDPOINT_URL', raising=False)
    for name, value in garcon_swf_server.environ().items():
        monkeypatch.setenv(name, value)
    return garcon_swf_server


@pytest.fixture
def garcon_run(garcon_swf):
    """A function that runs a flow to its end on the embedded SWF."""
    from garcon import testing

    def run(flow, input=None, **options):
        options.setdefault('endpoint', garcon_swf.endpoint)
        return testing.run_flow(flow, input=input, **options)

    return run
