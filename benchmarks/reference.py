"""The reference: Garcon 0.4.1, installed from the package index into a
virtual environment of its own.

Garcon 0.4.1 and this project share the import name ``garcon``: each runs
in its own interpreter. The environment is made once and reused (its
interpreter must run boto 2, so it is made from a Python of at most 3.11).
"""

import os
import shutil
import subprocess
import sys
import venv

REFERENCE = 'garcon==0.4.1'
DEFAULT_DIRECTORY = os.path.join(
    os.path.expanduser('~'), '.cache', 'garcon-benchmarks', 'garcon-0.4.1')

#: What boto 2.49, which Garcon 0.4.1 imports, runs on unpatched.
MAX_PYTHON = (3, 11)


class ReferenceError(RuntimeError):
    """The reference environment cannot be made."""


def python_for_reference():
    """Return a Python that runs boto 2 as it is (3.11 or older).

    Returns:
        str: the path of the interpreter (this one if it is old enough).
    """
    if sys.version_info[:2] <= MAX_PYTHON:
        return sys.executable
    for name in ('python3.11', 'python3.10', 'python3.9'):
        path = shutil.which(name)
        if path:
            return path
    raise ReferenceError(
        'Garcon 0.4.1 needs boto 2, which runs on Python 3.11 at most: '
        'install python3.11 or run the benchmarks with it.')


def interpreter(directory):
    """Return the interpreter of a virtual environment."""
    return os.path.join(directory, 'bin', 'python')


def installed(directory):
    """Tell whether the environment holds Garcon 0.4.1."""
    python = interpreter(directory)
    if not os.path.exists(python):
        return False
    # -I: neither the environment nor the current directory (a checkout of
    # this project holds a garcon.egg-info) may answer for the venv.
    check = subprocess.run(
        [python, '-I', '-c', 'import importlib.metadata as m; '
         'print(m.version("garcon"))'],
        capture_output=True, text=True, env=clean_environment())
    return check.returncode == 0 and check.stdout.strip() == '0.4.1'


def ensure(directory=DEFAULT_DIRECTORY, fresh=False, log=None):
    """Make (or reuse) the environment of Garcon 0.4.1.

    Args:
        directory (str): where the environment lives.
        fresh (bool): make it again even if it exists.
        log (callable): called with a line of progress.

    Returns:
        str: the path of its interpreter.
    """
    log = log or (lambda line: None)
    if fresh and os.path.exists(directory):
        shutil.rmtree(directory)
    if not installed(directory):
        log('Installing {} into {} ...'.format(REFERENCE, directory))
        base = python_for_reference()
        if os.path.exists(directory):
            shutil.rmtree(directory)
        if base == sys.executable:
            venv.EnvBuilder(with_pip=True).create(directory)
        else:
            subprocess.run([base, '-m', 'venv', directory], check=True)
        subprocess.run(
            [interpreter(directory), '-m', 'pip', 'install', '--quiet',
             '--disable-pip-version-check', REFERENCE],
            check=True, env=clean_environment())
    return interpreter(directory)


def clean_environment(**extra):
    """Return the environment for a reference process: nothing that would
    make it import this project's ``garcon``."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ('PYTHONPATH', 'PYTHONHOME')}
    environment.update(extra)
    return environment
