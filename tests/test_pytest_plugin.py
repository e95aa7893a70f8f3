"""The pytest plugin, used as a user uses it: in a pytest run of their own.

Each test writes a user's flow and tests into a fresh directory and runs
pytest on them in a subprocess. When Garcon is installed (``pip install
-e .``), pytest finds the plugin through its ``pytest11`` entry point, which
the run then proves; otherwise the run loads it with ``-p``.
"""

import os
from importlib import metadata

pytest_plugins = ['pytester']

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

USER_FLOW = '''
from garcon import activity
from garcon import runner

domain = 'dev'
name = 'greeting'
create = activity.create(domain, name)

greet = create(
    name='greet',
    run=runner.Sync(lambda context, activity: {
        'greeting': 'hello ' + context['user']}))

shout = create(
    name='shout',
    requires=[greet],
    run=runner.Sync(lambda context, activity: {
        'shout': context['greeting'].upper()}))
'''

USER_TESTS = '''
import os

import greeting
from garcon import testing


def test_runs_my_flow(garcon_run):
    run = garcon_run(greeting, input={'user': 'bob'})

    assert run.status == 'COMPLETED', run.reason
    assert run.context['shout'] == 'HELLO BOB'
    assert run.attempts('greet') == 1


def test_points_the_environment_at_the_local_swf(garcon_swf):
    assert os.environ['AWS_ENDPOINT_URL_SWF'] == garcon_swf.endpoint


def test_run_flow_takes_a_flow_by_name(garcon_swf):
    run = testing.run_flow('greeting', input={'user': 'ann'})

    assert run.context['greeting'] == 'hello ann'
'''


def plugin_options():
    """Load the plugin with -p unless pytest finds it by its entry
    point."""
    entry_points = metadata.entry_points()
    group = (entry_points.select(group='pytest11')
             if hasattr(entry_points, 'select')
             else entry_points.get('pytest11', ()))
    if any(entry.value == 'garcon.pytest_plugin' for entry in group):
        return []
    return ['-p', 'garcon.pytest_plugin']


def run_user_tests(pytester, monkeypatch, *paths):
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(
        [str(path) for path in paths] + [ROOT]))
    for variable in ('AWS_ENDPOINT_URL_SWF', 'AWS_ENDPOINT_URL'):
        monkeypatch.delenv(variable, raising=False)
    return pytester.runpytest_subprocess(
        *plugin_options(), '-p', 'no:cacheprovider', timeout=60)


def test_the_fixtures_run_a_users_flow(pytester, monkeypatch):
    pytester.makepyfile(greeting=USER_FLOW, test_greeting=USER_TESTS)

    result = run_user_tests(pytester, monkeypatch, pytester.path)

    result.assert_outcomes(passed=3)


def test_without_moto_only_the_tests_using_the_fixtures_fail(
        pytester, monkeypatch):
    # A `moto` package that cannot be imported hides the real one.
    fake = pytester.mkdir('no_moto')
    (fake / 'moto').mkdir()
    (fake / 'moto' / '__init__.py').write_text(
        'raise ImportError("No module named moto (hidden by the test)")\n')
    pytester.makepyfile(greeting=USER_FLOW, test_greeting='''
import greeting


def test_without_swf():
    assert greeting.name == 'greeting'


def test_with_swf(garcon_swf):
    pass
''')

    result = run_user_tests(pytester, monkeypatch, fake, pytester.path)

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        '*garcon_swf: The local SWF needs moto*pip install*'])
    result.stdout.no_fnmatch_line('*Traceback*')
