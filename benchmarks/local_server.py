"""A local SWF in a process of its own: ``python -m garcon local-server``.

The server gets a process (and so an interpreter lock) of its own: what the
benchmarks measure in the decider's and the workers' processes is theirs.
"""

import os
import signal
import subprocess
import sys

ENDPOINT_PREFIX = 'export AWS_ENDPOINT_URL_SWF='


class LocalServer(object):
    """``garcon local-server`` as a context manager.

    Args:
        root (str): the checkout whose ``garcon`` to run.
        poll_timeout (float): seconds an empty poll waits.
    """

    def __init__(self, root, poll_timeout=1):
        self.root = root
        self.poll_timeout = poll_timeout
        self.process = None
        self.endpoint = None

    def __enter__(self):
        environment = dict(os.environ, PYTHONPATH=self.root)
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'garcon', 'local-server',
             '--poll-timeout', str(self.poll_timeout)],
            cwd=self.root, env=environment, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        for line in self.process.stdout:
            if line.startswith(ENDPOINT_PREFIX):
                self.endpoint = line[len(ENDPOINT_PREFIX):].strip()
                break
        if self.endpoint is None:
            self.process.kill()
            raise RuntimeError('garcon local-server did not start.')
        return self

    def __exit__(self, *exc_info):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def cpu_seconds(self):
        """Return the CPU time the server process has used so far."""
        with open('/proc/{}/stat'.format(self.process.pid)) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
        ticks = os.sysconf('SC_CLK_TCK')
        return (int(fields[11]) + int(fields[12])) / float(ticks)
