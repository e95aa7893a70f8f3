"""The garcon command, driven as a user drives it: in subprocesses.

Every command runs as ``python -m garcon ...`` from the repository root
(so that ``example.*`` and ``tests.flows.*`` import), with the SWF endpoint
variables removed from its environment unless a test sets them. The
deployment tests run a ``garcon local-server`` process and ``garcon
decider`` / ``garcon worker`` processes against it, as in a terminal.
"""

import contextlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest

from garcon import client as garcon_client
from garcon import graph
from garcon import progress
from garcon import timeline

import example.code_sample
import example.custom_decider
import example.generators

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Seconds any single command may take before the test fails.
COMMAND_TIMEOUT = 60


def garcon_env(endpoint=None, **extra):
    """The environment of a garcon subprocess."""
    env = dict(os.environ)
    for variable in ('AWS_ENDPOINT_URL_SWF', 'AWS_ENDPOINT_URL'):
        env.pop(variable, None)
    env['PYTHONPATH'] = ROOT
    if endpoint:
        env['AWS_ENDPOINT_URL_SWF'] = endpoint
    env.update(extra)
    return env


def garcon(*args, env=None, timeout=COMMAND_TIMEOUT):
    """Run ``python -m garcon ARGS`` to its end."""
    return subprocess.run(
        [sys.executable, '-m', 'garcon'] + list(args), cwd=ROOT,
        env=env or garcon_env(), capture_output=True, text=True,
        timeout=timeout)


@contextlib.contextmanager
def garcon_process(*args, env=None, log=None):
    """Start ``python -m garcon ARGS`` in the background; stop it on exit.

    Its stdout is a pipe; its stderr goes to the file ``log`` (a pipe
    nobody reads could fill up and block it). On exit it gets SIGTERM, and
    SIGKILL if it is still there 15 s later: a decider or worker killed
    outright leaves its poll behind, and the local SWF would hand that poll
    the next test's task.
    """
    stderr = open(log, 'w') if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, '-m', 'garcon'] + list(args), cwd=ROOT,
        env=env or garcon_env(), stdout=subprocess.PIPE, stderr=stderr,
        text=True)
    try:
        yield process
    finally:
        stop(process)
        if log:
            stderr.close()


def stop(process, grace=15):
    """Stop a process: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    process.communicate(timeout=COMMAND_TIMEOUT)


def read_line(process, timeout=30):
    """Read one line of a process's stdout, failing after ``timeout``."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, 'no output from {} in {}s'.format(process.args, timeout)
    return process.stdout.readline()


def wait_for(predicate, timeout=30, interval=0.1):
    """Poll ``predicate`` until it returns something true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError('still waiting after {}s'.format(timeout))


def one_error_line(result):
    """Assert a command failed with one line on stderr; return it."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('garcon: error: ')
    assert 'Traceback' not in result.stderr
    return lines[0]


def parse_started(result):
    """Read the workflow id and run id ``garcon start`` printed."""
    assert result.returncode == 0, result.stderr
    values = dict(line.split('=', 1)
                  for line in result.stdout.strip().splitlines())
    return values['workflow_id'], values['run_id']


# -- garcon run, on the embedded SWF ------------------------------------------

def test_run_completes_a_flow_with_progress_and_summary():
    result = garcon('run', 'example.code_sample')

    assert result.returncode == 0, result.stderr
    # stdout holds the final context only, even though the tasks print.
    assert json.loads(result.stdout) == {}
    err = result.stderr
    assert 'Flow code_sample on the embedded SWF at http://127.0.0.1:' in err
    assert 'activity_2_task_1' in err
    for name in ('activity_1', 'activity_2', 'activity_3', 'activity_4'):
        for state in ('scheduled', 'started', 'completed in'):
            assert any(name in line and state in line
                       for line in err.splitlines()), (name, state)
    assert 'activity    state      instances  attempts  duration' in err
    assert 'activity_4  completed          1         1' in err
    assert err.rstrip().splitlines()[-1].startswith(
        'Execution COMPLETED in ')
    # Not a terminal: no colour, no bar.
    assert '\x1b[' not in err


def test_run_a_fan_out_from_a_file_with_input_from_a_file(tmp_path):
    input_file = tmp_path / 'input.json'
    input_file.write_text('{"count": 5}')

    result = garcon('run', 'tests/flows/cli_fanout.py',
                    '--input', '@{}'.format(input_file))

    assert result.returncode == 0, result.stderr
    context = json.loads(result.stdout)
    assert context['total'] == 0 + 1 + 4 + 9 + 16
    err = result.stderr
    assert 'failed: RuntimeError: number 1 fails its first attempt' in err
    assert 'retried (attempt 2)' in err
    assert '(5/5)' in err
    assert len([line for line in err.splitlines()
                if 'square[' in line and 'scheduled' in line]) == 5
    assert 'square    completed          5         6' in err


def test_run_a_flow_object_with_a_custom_decider():
    result = garcon('run', 'example.custom_decider:flow',
                    '--input', '{"drink": "latte", "milk": true}',
                    '--workflow-id', 'coffee-1')

    assert result.returncode == 0, result.stderr
    context = json.loads(result.stdout)
    assert context['served'] == 'latte with 1 shot(s) and steamed milk'
    assert 'Started coffee-1 ' in result.stderr
    assert 'steam_milk (milk)' in result.stderr


def test_run_a_failing_flow_exits_1_with_the_reason():
    result = garcon('run', 'tests.flows.cli_failing')

    assert result.returncode == 1
    assert json.loads(result.stdout) == {'checked': True}
    err = result.stderr
    assert 'failed: RuntimeError: the reactor is on fire' in err
    assert 'boom      failed             1         2' in err
    assert ('Execution FAILED in ' in err
            and 'Activity cli_failing_boom failed 2 time(s)' in err)
    # The task's traceback is a log: shown with -v only.
    assert 'Traceback' not in err


def test_run_shows_task_tracebacks_with_verbose():
    result = garcon('run', '-v', 'tests.flows.cli_failing')

    assert result.returncode == 1
    assert 'Traceback' in result.stderr
    assert "raise RuntimeError('the reactor is on fire')" in result.stderr


def test_run_timeout_times_the_execution_out():
    result = garcon('run', 'tests.flows.cli_slow', '--input',
                    '{"seconds": 5}', '--timeout', '1')

    assert result.returncode == 1
    assert 'Execution TIMED_OUT in ' in result.stderr
    assert 'START_TO_CLOSE' in result.stderr


# -- Mistakes: one line, exit code 2 ------------------------------------------

@pytest.mark.parametrize('args, message', [
    (['run', 'no.such.flow'], "No flow module named 'no.such.flow'."),
    (['run', 'tests/flows/no_such_file.py'],
     "No flow file 'tests/flows/no_such_file.py'."),
    (['run', 'json'], 'Flow json has no `domain`.'),
    (['run', 'tests.flows.cli_invalid:missing'],
     "Module tests.flows.cli_invalid has no attribute 'missing'."),
    (['run', 'tests.flows.cli_invalid:cycle'],
     'Activity requirements form a cycle: cli_cycle_first -> '
     'cli_cycle_second -> cli_cycle_first.'),
    (['run', 'example.serial', '--input', '{"user": bob}'],
     'Invalid JSON in input: Expecting value: line 1 column 10 (char 9).'),
    (['run', 'example.serial', '--input', '[1, 2]'],
     'The workflow input must be a JSON object, not list.'),
    (['run', 'example.serial', '--input', '@no/such/input.json'],
     'Cannot read the input file no/such/input.json: No such file or '
     'directory.'),
    (['run', 'example.serial', '--endpoint', 'ftp://example.com'],
     "Invalid SWF endpoint URL 'ftp://example.com': expected "
     "http(s)://host[:port]."),
    (['graph', 'no.such.flow'], "No flow module named 'no.such.flow'."),
    (['start', 'tests.flows.cli_invalid:cycle'],
     'Activity requirements form a cycle: cli_cycle_first -> '
     'cli_cycle_second -> cli_cycle_first.'),
])
def test_mistakes_are_one_line_and_exit_2(args, message):
    result = garcon(*args)

    assert result.returncode == 2
    assert one_error_line(result) == 'garcon: error: ' + message


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize('command', [
    ['run', 'example.serial'],
    ['decider', 'example.serial'],
    ['worker', 'example.serial'],
    ['status', 'some-id', '--domain', 'dev'],
])
def test_an_unreachable_endpoint_fails_fast(command):
    endpoint = 'http://127.0.0.1:{}'.format(free_port())
    began = time.monotonic()

    result = garcon(*command, '--endpoint', endpoint)

    assert result.returncode == 2
    assert one_error_line(result) == (
        'garcon: error: Cannot reach SWF at {}: Connection refused.'.format(
            endpoint))
    # boto alone would retry for minutes.
    assert time.monotonic() - began < 10


def test_missing_aws_credentials(tmp_path):
    boto_config = tmp_path / 'boto.cfg'
    boto_config.write_text(
        '[Boto]\nmetadata_service_timeout = 0.1\n'
        'metadata_service_num_attempts = 1\n')
    env = garcon_env(HOME=str(tmp_path), BOTO_CONFIG=str(boto_config),
                     AWS_ENDPOINT_URL_SWF='http://127.0.0.1:1')
    for variable in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
                     'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN',
                     'AWS_PROFILE', 'AWS_DEFAULT_PROFILE'):
        env.pop(variable, None)

    # --aws wins over the endpoint of the environment.
    result = garcon('run', 'example.serial', '--aws', env=env)

    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith('garcon: error: No AWS credentials found to '
                           'reach SWF at AWS us-east-1')


def test_an_unknown_activity_for_worker():
    result = garcon('worker', 'example.serial', '--activity', 'z_tasks')

    assert result.returncode == 2
    assert one_error_line(result) == (
        'garcon: error: No activity named z_tasks in flow boto_tutorial.')


def test_no_command_shows_usage():
    result = garcon()

    assert result.returncode == 2
    assert 'usage: garcon' in result.stderr


# -- garcon graph -------------------------------------------------------------

def test_graph_mermaid():
    result = garcon('graph', 'example.generators')

    assert result.returncode == 0, result.stderr
    assert result.stdout == graph.mermaid(example.generators)
    assert result.stdout.splitlines() == [
        'flowchart LR',
        '    %% flow country_flow (domain dev, version 1.0)',
        '    activity_1["activity_1"]',
        '    activity_2[["activity_2<br/>generators: country_generator'
        '<br/>retry: 3"]]',
        '    activity_3["activity_3"]',
        '    activity_1 --> activity_2',
        '    activity_2 --> activity_3',
    ]


def test_graph_dot():
    result = garcon('graph', 'example.code_sample', '--format', 'dot')

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == 'digraph "code_sample" {'
    assert '    "activity_1" -> "activity_2";' in lines
    assert '    "activity_2" -> "activity_4";' in lines
    assert lines[-1] == '}'


def test_graph_of_a_custom_decider_says_so():
    text = graph.mermaid(example.custom_decider.flow)

    assert 'custom decider' in text
    assert '-->' not in text
    # "serve" is fine; Mermaid keywords such as "end" get a suffix.
    assert '    serve["serve"]' in text.splitlines()


# -- The live display, on a pretend terminal ----------------------------------

def scheduled(event_id, name, activity_id, at):
    return {'eventId': event_id, 'eventType': 'ActivityTaskScheduled',
            'eventTimestamp': at,
            'activityTaskScheduledEventAttributes': {
                'activityType': {'name': name, 'version': '1.0'},
                'activityId': activity_id}}


def closed(event_id, event_type, scheduled_id, at, **attributes):
    key = event_type[0].lower() + event_type[1:] + 'EventAttributes'
    attributes['scheduledEventId'] = scheduled_id
    return {'eventId': event_id, 'eventType': event_type,
            'eventTimestamp': at, key: attributes}


def fan_out_events():
    key_a, key_b = 'a' * 40, 'b' * 40
    return [
        {'eventId': 1, 'eventType': 'WorkflowExecutionStarted',
         'eventTimestamp': 100.0,
         'workflowExecutionStartedEventAttributes': {
             'workflowType': {'name': 'flow', 'version': '1.0'}}},
        scheduled(2, 'flow_fetch', 'flow_fetch-' + key_a, 100.5),
        scheduled(3, 'flow_fetch', 'flow_fetch-' + key_b, 100.5),
        closed(4, 'ActivityTaskCompleted', 2, 101.0, result='{}'),
        closed(5, 'ActivityTaskFailed', 3, 101.5, reason='boom'),
        scheduled(6, 'flow_fetch', 'flow_fetch-' + key_b, 102.0),
    ]


def test_a_terminal_gets_colours_and_a_progress_bar(monkeypatch):
    monkeypatch.delenv('NO_COLOR', raising=False)
    monkeypatch.setenv('TERM', 'xterm')
    stream = io.StringIO()
    stream.isatty = lambda: True
    display = progress.Display(stream)
    execution_timeline = timeline.Timeline()

    progress.read(fan_out_events(), execution_timeline, display.show)
    display.set_bars(progress.fan_outs(execution_timeline))

    text = stream.getvalue()
    assert '\x1b[32mcompleted in 0.50s (1/2)\x1b[0m' in text
    assert '\x1b[31mfailed: boom\x1b[0m' in text
    assert '\x1b[33mretried (attempt 2)\x1b[0m' in text
    assert text.endswith('fetch [##########----------] 1/2')
    display.finish()
    assert stream.getvalue().endswith('\r\x1b[K')


def test_history_lines_and_summary_of_a_fan_out():
    events = fan_out_events()

    assert progress.history_lines(events) == [
        '  0.50s  fetch[aaaaaaa]  scheduled',
        '  0.50s  fetch[bbbbbbb]  scheduled',
        '  1.00s  fetch[aaaaaaa]  completed in 0.50s (1/2)',
        '  1.50s  fetch[bbbbbbb]  failed: boom',
        '  2.00s  fetch[bbbbbbb]  retried (attempt 2)',
    ]
    assert progress.summary_rows(timeline.Timeline(events)) == [
        ('fetch', 'scheduled', 2, 3, '1.50s')]


# -- Deployment: local-server, start, decider, worker, status, history --------

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """A ``garcon local-server`` process; yields its endpoint."""
    log = tmp_path_factory.mktemp('local-server') / 'stderr.log'
    # Short polls: stopping deciders and workers wait for theirs.
    with garcon_process('local-server', '--poll-timeout', '1',
                        log=str(log)) as process:
        line = read_line(process)
        assert line.startswith('export AWS_ENDPOINT_URL_SWF=http://127.0.0.1:')
        yield line.strip().partition('=')[2]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=COMMAND_TIMEOUT) == 0


@pytest.fixture
def endpoint_env(server, monkeypatch):
    """The environment of commands that talk to the local-server."""
    monkeypatch.setenv('AWS_ENDPOINT_URL_SWF', server)
    monkeypatch.delenv('AWS_ENDPOINT_URL', raising=False)
    return garcon_env(endpoint=server)


@contextlib.contextmanager
def deployed(flow, env, tmp_path, decider=True, worker=True):
    """Run a decider and a worker process of a flow; yield them."""
    with contextlib.ExitStack() as stack:
        processes = {}
        if decider:
            processes['decider'] = stack.enter_context(garcon_process(
                'decider', flow, env=env, log=str(tmp_path / 'decider.log')))
        if worker:
            processes['worker'] = stack.enter_context(garcon_process(
                'worker', flow, '--identity', 'test-worker', env=env,
                log=str(tmp_path / 'worker.log')))
        yield processes


def history_has(execution, event_type):
    """Return a function telling whether a history has an event type."""
    client = garcon_client.Client()
    return lambda: any(event['eventType'] == event_type
                       for event in client.history(execution))


def test_decider_and_worker_processes_complete_a_started_flow(
        endpoint_env, tmp_path):
    workflow_id, run_id = parse_started(garcon(
        'start', 'tests.flows.cli_slow', '--input', '{"seconds": 0}',
        '--workflow-id', 'deployed-1', env=endpoint_env))
    assert workflow_id == 'deployed-1'
    execution = garcon_client.Execution('dev', workflow_id, run_id)

    with deployed('tests.flows.cli_slow', endpoint_env, tmp_path) as running:
        assert garcon_client.Client().wait(execution, timeout=30) == (
            'COMPLETED')
        for process in running.values():
            process.send_signal(signal.SIGTERM)
        assert running['decider'].wait(timeout=COMMAND_TIMEOUT) == 0
        assert running['worker'].wait(timeout=COMMAND_TIMEOUT) == 0

    status = garcon('status', 'deployed-1', '--domain', 'dev', '--json',
                    env=endpoint_env)
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document['status'] == 'COMPLETED'
    assert document['runId'] == run_id
    assert [(row['activity'], row['state'], row['attempts'])
            for row in document['activities']] == [('nap', 'completed', 1)]

    text = garcon('status', 'deployed-1', '--flow', 'tests.flows.cli_slow',
                  env=endpoint_env).stdout
    assert 'status       COMPLETED' in text
    assert 'nap       completed          1         1' in text

    history = garcon('history', 'deployed-1', '--domain', 'dev',
                     env=endpoint_env)
    assert history.returncode == 0, history.stderr
    assert '  nap       completed in ' in history.stdout
    assert 'Execution COMPLETED in ' in history.stdout
    events = json.loads(garcon('history', 'deployed-1', '--domain', 'dev',
                               '--json', env=endpoint_env).stdout)
    started = [e for e in events if e['eventType'] == 'ActivityTaskStarted']
    assert started[0]['activityTaskStartedEventAttributes'][
        'identity'] == 'test-worker'


def test_decider_sends_its_waiting_answer_on_sigterm(endpoint_env, tmp_path):
    workflow_id, run_id = parse_started(garcon(
        'start', 'tests.flows.cli_pair', env=endpoint_env))
    execution = garcon_client.Execution('dev', workflow_id, run_id)
    client = garcon_client.Client()

    def waiting_answer():
        # quick completed, and the decision task it brought has started:
        # with slow still open, its answer (nothing to send) waits.
        events = client.history(execution)
        types = [e['eventType'] for e in events]
        return ('ActivityTaskCompleted' in types and types[-1] ==
                'DecisionTaskStarted' and types.index(
                    'ActivityTaskCompleted') < len(types) - 1)

    with garcon_process(
            'decider', 'tests.flows.cli_pair', '--batch-window', '600',
            env=endpoint_env, log=str(tmp_path / 'decider.log')) as decider:
        with garcon_process(
                'worker', 'tests.flows.cli_pair', '--activity', 'quick',
                env=endpoint_env, log=str(tmp_path / 'worker.log')):
            wait_for(waiting_answer)
            time.sleep(0.5)
            assert waiting_answer()
            decider.send_signal(signal.SIGTERM)
            assert decider.wait(timeout=COMMAND_TIMEOUT) == 0

    # Answered before the decider exited, with nothing to send: no
    # decision event follows it, and the execution waits for slow.
    events = client.history(execution)
    assert events[-1]['eventType'] == 'DecisionTaskCompleted'
    assert client.describe(execution)['executionStatus'] == 'OPEN'


def test_decider_batch_window_must_be_seconds():
    result = garcon('decider', 'tests.flows.cli_pair', '--batch-window',
                    '-1')
    assert result.returncode == 2
    assert 'expected a number of seconds >= 0' in result.stderr


def test_worker_finishes_its_task_on_sigterm_then_exits_0(
        endpoint_env, tmp_path):
    workflow_id, run_id = parse_started(garcon(
        'start', 'tests.flows.cli_slow', '--input', '{"seconds": 1.5}',
        env=endpoint_env))
    execution = garcon_client.Execution('dev', workflow_id, run_id)

    with deployed('tests.flows.cli_slow', endpoint_env, tmp_path) as running:
        wait_for(history_has(execution, 'ActivityTaskStarted'))
        running['worker'].send_signal(signal.SIGTERM)

        assert running['worker'].wait(timeout=COMMAND_TIMEOUT) == 0
        # The task was not cut short: its completion is in the history.
        assert history_has(execution, 'ActivityTaskCompleted')()
        assert garcon_client.Client().wait(execution, timeout=30) == (
            'COMPLETED')
    log = (tmp_path / 'worker.log').read_text()
    assert 'SIGTERM: stopping' in log
    assert 'Waiting for 1 task(s) in progress.' in log


def test_a_second_signal_exits_at_once(endpoint_env, tmp_path):
    workflow_id, run_id = parse_started(garcon(
        'start', 'tests.flows.cli_slow', '--input', '{"seconds": 30}',
        env=endpoint_env))
    execution = garcon_client.Execution('dev', workflow_id, run_id)

    with deployed('tests.flows.cli_slow', endpoint_env, tmp_path) as running:
        wait_for(history_has(execution, 'ActivityTaskStarted'))
        running['worker'].send_signal(signal.SIGINT)
        wait_for(lambda: 'Waiting for 1 task' in (
            tmp_path / 'worker.log').read_text())
        running['worker'].send_signal(signal.SIGINT)

        assert running['worker'].wait(timeout=10) == 128 + signal.SIGINT


def test_run_against_an_endpoint(server):
    result = garcon('run', 'example.serial', '--endpoint', server)

    assert result.returncode == 0, result.stderr
    assert 'Flow boto_tutorial on {}'.format(server) in result.stderr
    assert json.loads(result.stdout)['result'].startswith('Now don')


def test_run_uses_the_endpoint_of_the_environment(endpoint_env, server):
    result = garcon('run', 'example.code_sample', env=endpoint_env)

    assert result.returncode == 0, result.stderr
    assert 'Flow code_sample on {}'.format(server) in result.stderr


def test_cancel_of_an_unknown_run_is_a_clear_error(endpoint_env):
    workflow_id, _ = parse_started(garcon(
        'start', 'example.serial', env=endpoint_env))

    result = garcon('cancel', workflow_id, '--domain', 'dev',
                    '--run-id', 'no-such-run', env=endpoint_env)

    assert result.returncode == 1
    line = one_error_line(result)
    assert line.startswith('garcon: error: SWF refused the request: '
                           'UnknownResourceFault')


def test_status_of_an_unknown_workflow_id(endpoint_env):
    result = garcon('status', 'nobody-knows', '--domain', 'dev',
                    env=endpoint_env)

    assert result.returncode == 2
    assert one_error_line(result) == (
        "garcon: error: No execution with workflow id 'nobody-knows' in "
        "domain 'dev' (in the last 366 days).")


def test_status_needs_a_domain():
    result = garcon('status', 'some-id')

    assert result.returncode == 2
    assert 'one of the arguments --domain --flow is required' in (
        result.stderr)
