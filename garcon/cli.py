"""The ``garcon`` command: run, deploy and inspect flows.

``garcon run FLOW`` runs a flow end to end and shows its progress; with no
SWF endpoint configured it starts the embedded local SWF first. ``garcon
decider FLOW`` and ``garcon worker FLOW`` are the long-running processes of
a deployment; ``start``, ``status``, ``history`` and ``cancel`` act on
executions; ``graph`` draws a flow; ``local-server`` runs the local SWF on
its own. ``garcon COMMAND --help`` tells more, and docs/cli.rst has examples.

This module parses arguments and writes output; the work is done by
:mod:`garcon.worker`, :mod:`garcon.client`, :mod:`garcon.progress` and the
other modules. Progress and messages go to stderr, results to stdout, so
``garcon run FLOW > result.json`` keeps the JSON clean.

Exit codes: 0 success; 1 the execution did not complete, or SWF refused a
request; 2 a mistake (unknown flow, invalid flow or input, unusable endpoint
or credentials); 130 interrupted. A second SIGINT/SIGTERM to a stopping
``decider`` or ``worker`` exits at once with 128 + the signal's number.
"""

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback

import boto.exception

from garcon import activity as garcon_activity
from garcon import batching
from garcon import client as garcon_client
from garcon import connection
from garcon import decider as garcon_decider
from garcon import flow as garcon_flow
from garcon import graph
from garcon import progress
from garcon import timeline
from garcon import worker

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_NOT_COMPLETED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: Seconds an empty poll waits on the SWF ``garcon run`` embeds. Short:
#: the run ends as soon as the execution closes, not when polls return.
RUN_POLL_TIMEOUT = 1

#: Seconds ``garcon run --timeout N`` keeps watching after SWF should have
#: timed the execution out, before it gives up.
TIMEOUT_GRACE = 10

#: How far back ``status``, ``history`` and ``cancel`` look for the latest
#: run of a workflow id (SWF keeps closed executions 90 days at most).

# Log levels of a command with no -v, -v, -vv. `run` shows task failures
# in its progress lines: their logs and tracebacks only with -v.
QUIET_LOGS = (logging.CRITICAL, logging.INFO, logging.DEBUG)
LOGS = (logging.WARNING, logging.INFO, logging.DEBUG)
SERVICE_LOGS = (logging.INFO, logging.DEBUG)
NOISY_LOGGERS = ('backoff', 'garcon.local_http')

#: Marks the embedded SWF in :func:`choose_endpoint`'s answer.
EMBEDDED = object()

ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_SWF'


class CommandError(Exception):
    """A command cannot do what it was asked; told in one line.

    Args:
        message (str): the line.
        exit_code (int): the exit status.
    """

    def __init__(self, message, exit_code=EXIT_USAGE):
        super(CommandError, self).__init__(message)
        self.exit_code = exit_code


# -- Output -------------------------------------------------------------------

def say(text=''):
    """Write a line for people (stderr)."""
    sys.stderr.write(text + '\n')
    sys.stderr.flush()


def emit(text):
    """Write a result line (stdout)."""
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def fail(message, exit_code):
    """Tell a mistake in one line on stderr and return the exit status."""
    say('garcon: error: {}'.format(message))
    return exit_code


def format_time(timestamp):
    """Write an epoch timestamp as UTC date and time."""
    if timestamp is None:
        return '-'
    return time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(timestamp))


def default_identity():
    """Return the identity a worker records in the history: host:pid."""
    return '{}:{}'.format(socket.gethostname(), os.getpid())


# -- Flows, inputs, endpoints -------------------------------------------------

def load_flow(spec):
    """Load and validate a flow given on the command line.

    Dotted module paths are looked up from the current directory too, as
    ``python -m`` does: ``garcon run example.serial`` works from a checkout.

    Raises:
        garcon.flow.FlowError: the flow cannot be imported or is invalid.
    """
    if os.getcwd() not in sys.path and '' not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        flow = garcon_flow.load(spec)
    except garcon_flow.FlowError:
        raise
    except Exception as error:
        raise garcon_flow.FlowError('Cannot import flow {}: {}'.format(
            spec, describe_exception(error)))
    garcon_flow.validate(flow)
    return flow


def describe_exception(error):
    """Describe an error in one line, with where it was raised."""
    text = '{}: {}'.format(type(error).__name__, error)
    frames = traceback.extract_tb(error.__traceback__)
    if frames and not isinstance(error, SyntaxError):
        text += ' ({}, line {})'.format(frames[-1].filename,
                                        frames[-1].lineno)
    return text


def read_input(text):
    """Read the workflow input: JSON text, ``@file.json`` or ``@-``
    (stdin).

    Returns:
        dict: the input (``{}`` when none is given).

    Raises:
        CommandError: it cannot be read or is not a JSON object.
    """
    if text is None:
        return {}
    source = 'input'
    if text.startswith('@'):
        source = text[1:]
        text = _read_input_file(source)
    try:
        value = json.loads(text)
    except ValueError as error:
        raise CommandError('Invalid JSON in {}: {}.'.format(source, error))
    if not isinstance(value, dict):
        raise CommandError(
            'The workflow input must be a JSON object, not {}.'.format(
                type(value).__name__))
    return value


def _read_input_file(path):
    try:
        if path == '-':
            return sys.stdin.read()
        with open(path) as source:
            return source.read()
    except OSError as error:
        raise CommandError('Cannot read the input file {}: {}.'.format(
            path, error.strerror or error))


def choose_endpoint(args, embedded=False):
    """Pick the SWF endpoint a command talks to.

    ``--endpoint``, else AWS with ``--aws``, else ``AWS_ENDPOINT_URL_SWF``
    or ``AWS_ENDPOINT_URL``, else the embedded SWF when the command can
    start one (``embedded``), else AWS.

    Returns:
        str: the URL; None for AWS; :data:`EMBEDDED`.
    """
    if getattr(args, 'endpoint', None):
        return args.endpoint
    if getattr(args, 'aws', False):
        return None
    configured = connection.endpoint_url()
    if configured:
        return configured
    return EMBEDDED if embedded else None


def use_endpoint(endpoint):
    """Point this process (its workers, clients, threads) at an endpoint:
    a URL, or AWS for None."""
    for variable in connection.ENDPOINT_ENV_VARIABLES:
        os.environ.pop(variable, None)
    if endpoint:
        os.environ[ENDPOINT_VARIABLE] = endpoint


def check_swf(endpoint):
    """Fail fast on an unusable endpoint: malformed, no credentials, or
    unreachable (boto would retry for minutes).

    Raises:
        garcon.connection.ConfigurationError: the endpoint is unusable.
    """
    connection.connect(endpoint=endpoint)
    connection.check_reachable(endpoint)


def describe_endpoint(endpoint):
    """Name an endpoint for people."""
    return endpoint or 'AWS SWF ({})'.format(connection.region_name())


def prepare_swf(args):
    """Choose, point at and check the endpoint of a command that needs an
    SWF already running. Returns the endpoint (None for AWS)."""
    endpoint = choose_endpoint(args)
    use_endpoint(endpoint)
    check_swf(endpoint)
    return endpoint


@contextlib.contextmanager
def embedded_swf(poll_timeout=None, port=0, host='127.0.0.1'):
    """Run the embedded local SWF while the block runs.

    Raises:
        CommandError: it cannot start (moto missing, port taken...).
    """
    from garcon import local
    swf = local.LocalSWF(port=port, host=host, poll_timeout=poll_timeout)
    try:
        swf.start()
    except local.LocalSWFError as error:
        raise CommandError(str(error))
    try:
        yield swf
    finally:
        swf.stop()


def register(flow):
    """Register a flow's domain and types (those registered already are
    fine)."""
    garcon_decider.DeciderWorker(flow, register=False).register()


# -- Executions ---------------------------------------------------------------

def flow_domain(args):
    """Return the domain of ``status``/``history``/``cancel``: ``--domain``,
    else the domain of ``--flow``."""
    if args.domain:
        return args.domain
    return load_flow(args.flow).domain


def find_execution(domain, workflow_id, run_id=None):
    """Return the execution to act on: the given run, else the latest run
    of the workflow id (the open one, if any).

    Raises:
        CommandError: the domain has no execution with that workflow id.
    """
    if run_id:
        return garcon_client.Execution(domain, workflow_id, run_id)
    execution = garcon_client.Client().latest(domain, workflow_id)
    if execution is None:
        raise CommandError(
            'No execution with workflow id {!r} in domain {!r} (in the last '
            '{} days).'.format(workflow_id, domain,
                               garcon_client.LOOKBACK_SECONDS // 86400))
    return execution


def describe_swf_error(error):
    """Describe an error SWF answered with, in one line."""
    body = error.body if isinstance(error.body, dict) else {}
    code = error.error_code or body.get('__type', '').rpartition('#')[2]
    message = body.get('message') or error.message or error.reason
    text = 'SWF refused the request'
    if code:
        text += ': {}'.format(code)
    if message:
        text += ': {}'.format(message)
    return text


# -- Commands -----------------------------------------------------------------

def command_run(args):
    """``garcon run``: run a flow to its end, showing its progress."""
    flow = load_flow(args.flow)
    workflow_input = read_input(args.input)
    endpoint = choose_endpoint(args, embedded=True)
    embedded = endpoint is EMBEDDED
    with contextlib.ExitStack() as stack:
        where = describe_endpoint(endpoint)
        if embedded:
            swf = stack.enter_context(
                embedded_swf(poll_timeout=RUN_POLL_TIMEOUT))
            endpoint = swf.endpoint
            where = 'the embedded SWF at {}'.format(endpoint)
        use_endpoint(endpoint)
        check_swf(endpoint)
        return run_with_progress(
            flow, workflow_input, args, where, drain=not embedded)


def run_with_progress(flow, workflow_input, args, where, drain=True):
    """Run the flow's workers, start an execution and watch it close.

    Args:
        flow (module): the flow.
        workflow_input (dict): the input.
        args (Namespace): the arguments of ``garcon run``.
        where (str): the SWF, named for people.
        drain (bool): wait for the workers' polls in flight before
            returning (unless interrupted). On a shared SWF a poll left
            behind could take a task of another execution, which would then
            wait for its timeout; the embedded SWF stops with the command.

    Returns:
        int: 0 if it completed, 1 otherwise.
    """
    display = progress.Display(sys.stderr, label_width=label_width(flow))
    _log_to(display)
    results = sys.stdout
    display.line('Flow {} on {}'.format(flow.name, where))
    client = garcon_client.Client()
    workers = worker.Workers(flow, identity=default_identity())
    # Tasks that print would mix their lines into the JSON on stdout.
    with contextlib.redirect_stdout(display):
        workers.start()
        try:
            execution = client.start(
                flow, input=workflow_input, workflow_id=args.workflow_id,
                execution_timeout=args.timeout)
            display.line('Started {} (run {})'.format(
                execution.workflow_id, execution.run_id))
            watched = watch(client, execution, display, args.timeout)
        except KeyboardInterrupt:
            drain = False
            raise
        finally:
            workers.stop(wait=False)
            if drain:
                display.line("Waiting for the workers' polls to return.")
                worker.join(workers.threads)
        context = client.context(execution)
    results.write(json.dumps(dict(context), indent=2, sort_keys=True) + '\n')
    results.flush()
    display.line('')
    display.line(progress.summary_table(watched))
    display.line(progress.close_line(watched, display.paint))
    if watched.close_status == 'COMPLETED':
        return EXIT_OK
    if watched.close_status == 'FAILED' and not args.verbose:
        display.line('(garcon run -v shows the logs and tracebacks of '
                     'failed tasks.)')
    return EXIT_NOT_COMPLETED


def watch(client, execution, display, timeout):
    """Watch an execution until it closes (see :func:`progress.watch`)."""
    limit = None if timeout is None else timeout + TIMEOUT_GRACE
    try:
        return progress.watch(client, execution, display, timeout=limit)
    except progress.WatchTimeout as error:
        raise CommandError(str(error), EXIT_NOT_COMPLETED)


def label_width(flow):
    """Return a width for the instance column that fits the flow's names
    and a generator key or a short schedule id (the display widens it for
    longer labels)."""
    names = [len(graph.short_name(flow, current)) for current in
             garcon_activity.find_workflow_activities(flow)]
    return min(max(names + [10]) + 12, 48)


def _log_to(stream):
    # Log lines must go above the progress bar, like everything else.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


def command_start(args):
    """``garcon start``: start an execution, print its ids."""
    flow = load_flow(args.flow)
    workflow_input = read_input(args.input)
    prepare_swf(args)
    register(flow)
    execution = garcon_client.Client().start(
        flow, input=workflow_input, workflow_id=args.workflow_id,
        execution_timeout=args.timeout)
    emit('workflow_id={}'.format(execution.workflow_id))
    emit('run_id={}'.format(execution.run_id))
    return EXIT_OK


def command_status(args):
    """``garcon status``: an execution's status and activity table."""
    domain = flow_domain(args)
    prepare_swf(args)
    client = garcon_client.Client()
    execution = find_execution(domain, args.workflow_id, args.run_id)
    info = client.describe(execution)
    execution_timeline = timeline.Timeline(client.history(execution))
    if args.json:
        emit(json.dumps(status_document(execution, info, execution_timeline),
                        indent=2, sort_keys=True))
    else:
        emit(status_text(execution, info, execution_timeline))
    return EXIT_OK


def status_of(info):
    """Return ``OPEN`` or the close status of an execution's info."""
    if info.get('executionStatus') == 'OPEN':
        return 'OPEN'
    return info.get('closeStatus', info.get('executionStatus'))


def status_document(execution, info, execution_timeline):
    """Return ``garcon status --json``'s document.

    Times come from the history's events (moto's describe gets the start
    time wrong).
    """
    return {
        'domain': execution.domain,
        'workflowId': execution.workflow_id,
        'runId': execution.run_id,
        'workflowType': info.get('workflowType'),
        'status': status_of(info),
        'reason': execution_timeline.close_reason,
        'cancelRequested': info.get('cancelRequested', False),
        'startTimestamp': execution_timeline.started_at,
        'closeTimestamp': execution_timeline.closed_at,
        'activities': [row._asdict()
                       for row in execution_timeline.summary()],
    }


def status_text(execution, info, execution_timeline):
    """Return ``garcon status``'s text: the execution, then its
    activities."""
    workflow_type = info.get('workflowType', {})
    fields = [
        ('workflow id', execution.workflow_id),
        ('run id', execution.run_id),
        ('domain', execution.domain),
        ('type', '{} {}'.format(workflow_type.get('name'),
                                workflow_type.get('version'))),
        ('status', status_of(info)),
        ('started', format_time(execution_timeline.started_at)),
    ]
    if execution_timeline.closed:
        fields.append(('closed', '{} (after {})'.format(
            format_time(execution_timeline.closed_at),
            progress.format_duration(execution_timeline.duration))))
    if execution_timeline.close_reason:
        fields.append(('reason', execution_timeline.close_reason))
    if info.get('cancelRequested'):
        fields.append(('cancel requested', 'yes'))
    width = max(len(name) for name, _ in fields)
    lines = ['{}  {}'.format(name.ljust(width), value)
             for name, value in fields]
    lines += ['', progress.summary_table(execution_timeline)]
    return '\n'.join(lines)


def command_history(args):
    """``garcon history``: an execution's activity changes, or its raw
    events."""
    domain = flow_domain(args)
    prepare_swf(args)
    execution = find_execution(domain, args.workflow_id, args.run_id)
    events = garcon_client.Client().history(execution)
    if args.json:
        emit(json.dumps(events, indent=2, sort_keys=True))
        return EXIT_OK
    emit('Execution {} (run {}), domain {}'.format(
        execution.workflow_id, execution.run_id, domain))
    for line in progress.history_lines(events):
        emit(line)
    return EXIT_OK


def command_cancel(args):
    """``garcon cancel``: ask SWF to cancel an execution."""
    domain = flow_domain(args)
    prepare_swf(args)
    execution = find_execution(domain, args.workflow_id, args.run_id)
    client = garcon_client.Client()
    client._swf = connection.limit_retries(connection.connect(), retries=0)
    client.cancel(execution)
    emit('Cancel requested for {} (run {}): the decider cancels it at its '
         'next decision.'.format(execution.workflow_id, execution.run_id))
    return EXIT_OK


def command_graph(args):
    """``garcon graph``: print a flow's graph."""
    flow = load_flow(args.flow)
    sys.stdout.write(graph.render(flow, args.format))
    return EXIT_OK


def command_decider(args):
    """``garcon decider``: run a flow's decider until stopped."""
    flow = load_flow(args.flow)
    endpoint = prepare_swf(args)
    workers = worker.Workers(
        flow, activities=[], identity=args.identity or default_identity(),
        register=not args.no_register, batch_window=args.batch_window)
    logger.info('Decider of flow %s on %s (Ctrl-C to stop).', flow.name,
                describe_endpoint(endpoint))
    return worker.serve(workers)


def command_worker(args):
    """``garcon worker``: run a flow's activity workers until stopped."""
    flow = load_flow(args.flow)
    try:
        workers = worker.Workers(
            flow, decider=False, activities=args.activity or None,
            threads_per_activity=args.threads,
            identity=args.identity or default_identity())
    except ValueError as error:
        raise CommandError(str(error))
    endpoint = prepare_swf(args)
    if not args.no_register:
        register(flow)
    logger.info('Workers of flow %s (%s) on %s (Ctrl-C to stop).', flow.name,
                ', '.join(current.name for current in workers.activities),
                describe_endpoint(endpoint))
    return worker.serve(workers)


def command_local_server(args):
    """``garcon local-server``: the embedded SWF alone, until stopped."""
    stop = threading.Event()
    with embedded_swf(poll_timeout=args.poll_timeout, port=args.port,
                      host=args.host) as swf:
        with worker.stop_signals(stop):
            emit('export {}={}'.format(ENDPOINT_VARIABLE, swf.endpoint))
            say('Local SWF listening on {}: run the line above in the '
                'terminals of your deciders and workers. Ctrl-C stops '
                'it.'.format(swf.endpoint))
            while not stop.wait(worker.SERVE_INTERVAL):
                pass
    say('Local SWF stopped.')
    return EXIT_OK


# -- Arguments ----------------------------------------------------------------

def positive_int(text):
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            'expected a whole number >= 1, got {!r}'.format(text))
    return value


def seconds(text):
    """An argparse type: a number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not value >= 0 or value == float('inf'):
        raise argparse.ArgumentTypeError(
            'expected a number of seconds >= 0, got {!r}'.format(text))
    return value


def build_parser():
    """Build the parser of the ``garcon`` command."""
    parser = argparse.ArgumentParser(
        prog='garcon',
        description='Run, deploy and inspect Garcon flows on Amazon SWF.',
        epilog='FLOW is a dotted module path (example.serial), a .py file, '
               'or either followed by :attribute for a flow object '
               '(example.custom_decider:flow).')
    commands = parser.add_subparsers(dest='command_name', metavar='COMMAND')
    commands.required = True
    parents = _parent_parsers()
    for add in (_add_run, _add_start, _add_status, _add_history, _add_cancel,
                _add_graph, _add_decider, _add_worker, _add_local_server):
        add(commands, parents)
    return parser


def _parent_parsers():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        '-v', '--verbose', action='count', default=0,
        help='show more logs (-v: info, -vv: debug)')

    flow = argparse.ArgumentParser(add_help=False)
    flow.add_argument('flow', metavar='FLOW', help='the flow')

    swf = argparse.ArgumentParser(add_help=False)
    where = swf.add_mutually_exclusive_group()
    where.add_argument(
        '--endpoint', metavar='URL',
        help='the SWF endpoint (default: $AWS_ENDPOINT_URL_SWF, else '
             '$AWS_ENDPOINT_URL, else AWS)')
    where.add_argument(
        '--aws', action='store_true',
        help='use AWS SWF, whatever the environment says')

    execution = argparse.ArgumentParser(add_help=False)
    execution.add_argument('workflow_id', metavar='WORKFLOW_ID')
    execution.add_argument(
        '--run-id', metavar='ID',
        help='the run (default: the latest run of WORKFLOW_ID)')
    domain = execution.add_mutually_exclusive_group(required=True)
    domain.add_argument('--domain', help='the SWF domain')
    domain.add_argument('--flow', metavar='FLOW',
                        help='take the domain from this flow')

    start = argparse.ArgumentParser(add_help=False)
    start.add_argument(
        '--input', metavar='JSON',
        help='the workflow input: a JSON object, @file.json or @- (stdin)')
    start.add_argument('--workflow-id', metavar='ID',
                       help='the workflow id (default: FLOW_NAME-UUID)')
    start.add_argument(
        '--timeout', metavar='SECONDS', type=positive_int,
        help="the execution's start-to-close timeout (default: the "
             "workflow type's, one hour)")

    serve = argparse.ArgumentParser(add_help=False)
    serve.add_argument('--identity', metavar='ID',
                       help='the identity recorded in the history '
                            '(default: HOST:PID)')
    serve.add_argument('--no-register', action='store_true',
                       help="don't register the domain and types on start")
    return {'common': common, 'flow': flow, 'swf': swf,
            'execution': execution, 'start': start, 'serve': serve}


def _add(commands, parents, name, handler, help_text, uses, **defaults):
    parser = commands.add_parser(
        name, help=help_text, description=help_text,
        parents=[parents[use] for use in ('common',) + uses])
    parser.set_defaults(handler=handler, **defaults)
    return parser


def _add_run(commands, parents):
    _add(commands, parents, 'run', command_run,
         'Run a flow to its end: on the embedded SWF unless an endpoint is '
         'configured; live progress on stderr, the final context as JSON on '
         'stdout. Exit 0 if it completed, 1 if not.',
         ('flow', 'start', 'swf'), log_levels=QUIET_LOGS)


def _add_start(commands, parents):
    _add(commands, parents, 'start', command_start,
         'Start an execution of a flow; print its workflow id and run id.',
         ('flow', 'start', 'swf'), log_levels=LOGS)


def _add_status(commands, parents):
    parser = _add(
        commands, parents, 'status', command_status,
        "Show an execution's status and a table of its activities.",
        ('execution', 'swf'), log_levels=LOGS)
    parser.add_argument('--json', action='store_true',
                        help='print it as JSON')


def _add_history(commands, parents):
    parser = _add(
        commands, parents, 'history', command_history,
        "Show an execution's history: each activity change, in order.",
        ('execution', 'swf'), log_levels=LOGS)
    parser.add_argument('--json', action='store_true',
                        help="print SWF's raw events as JSON")


def _add_cancel(commands, parents):
    _add(commands, parents, 'cancel', command_cancel,
         'Ask SWF to cancel an execution (RequestCancelWorkflowExecution).',
         ('execution', 'swf'), log_levels=LOGS)


def _add_graph(commands, parents):
    parser = _add(
        commands, parents, 'graph', command_graph,
        "Print a flow's graph: activities, requires edges, generators.",
        ('flow',), log_levels=LOGS)
    parser.add_argument('--format', choices=graph.FORMATS,
                        default='mermaid', help='default: mermaid')


def _add_decider(commands, parents):
    parser = _add(
        commands, parents, 'decider', command_decider,
        "Run a flow's decider until SIGINT/SIGTERM.",
        ('flow', 'swf', 'serve'), log_levels=SERVICE_LOGS)
    parser.add_argument(
        '--batch-window', metavar='SECONDS', type=seconds,
        default=batching.DEFAULT_WINDOW,
        help='how long an answer with nothing to send may wait while '
             'activities run, so that the completions meanwhile share one '
             'decision task; one more window per 100 activities running '
             'beyond 100, up to 10 (default: %(default)s; 0: answer at '
             'once)')


def _add_worker(commands, parents):
    parser = _add(
        commands, parents, 'worker', command_worker,
        "Run a flow's activity workers until SIGINT/SIGTERM; the tasks in "
        'progress finish first.',
        ('flow', 'swf', 'serve'), log_levels=SERVICE_LOGS)
    parser.add_argument(
        '--activity', metavar='NAME', action='append',
        help='run only this activity (repeatable; default: all)')
    parser.add_argument('--threads', metavar='N', type=positive_int,
                        default=1, help='pollers per activity (default: 1)')


def _add_local_server(commands, parents):
    parser = _add(
        commands, parents, 'local-server', command_local_server,
        'Run the embedded local SWF until SIGINT/SIGTERM, for deciders and '
        'workers in other terminals.', (), log_levels=LOGS)
    parser.add_argument('--port', type=int, default=0,
                        help='the port (default: a free one)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='the address to listen on (default: 127.0.0.1)')
    parser.add_argument(
        '--poll-timeout', metavar='SECONDS', type=float, default=None,
        help='seconds an empty poll waits for a task (default: 5)')


def configure_logging(args):
    """Send logs to stderr at the command's level, lowered by ``-v``."""
    levels = args.log_levels
    level = levels[min(args.verbose, len(levels) - 1)]
    logging.basicConfig(
        level=level, stream=sys.stderr,
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    if args.verbose < 2:
        # backoff logs at ERROR every SWF error it does not retry (such as
        # "already registered", which is fine), and the local SWF's server
        # the traceback of each request moto fails: noise unless debugging.
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv=None):
    """Run the ``garcon`` command.

    Args:
        argv (list): the arguments (``sys.argv[1:]`` by default).

    Returns:
        int: the exit status.
    """
    args = build_parser().parse_args(argv)
    configure_logging(args)
    try:
        return args.handler(args)
    except CommandError as error:
        return _failed(args, str(error), error.exit_code)
    except (garcon_flow.FlowError, connection.ConfigurationError) as error:
        return _failed(args, str(error), EXIT_USAGE)
    except boto.exception.BotoServerError as error:
        return _failed(args, describe_swf_error(error), EXIT_NOT_COMPLETED)
    except KeyboardInterrupt:
        return _failed(args, 'interrupted.', EXIT_INTERRUPTED)


def _failed(args, message, exit_code):
    if args.verbose:
        traceback.print_exc()
    return fail(message, exit_code)
