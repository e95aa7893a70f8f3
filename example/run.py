"""Run an example flow on the embedded local SWF and print its context.

Usage::

    python -m example.run example.code_sample [JSON input]

Flows that are objects are named ``module:attribute``, for example
``example.custom_decider:flow``.
"""

import importlib
import json
import logging
import sys

from garcon import local
from garcon import testing


def load(path):
    module_name, _, attribute = path.partition(':')
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def main(argv):
    if not argv:
        sys.exit(__doc__)
    logging.basicConfig(
        level=logging.INFO, format='%(name)s - %(levelname)s - %(message)s')
    flow = load(argv[0])
    workflow_input = json.loads(argv[1]) if len(argv) > 1 else {}
    with local.LocalSWF() as swf, swf.configure_environment():
        run = testing.run_flow(flow, input=workflow_input, timeout=120)
    print(json.dumps(dict(run.context), indent=2, sort_keys=True))
    print('Execution {}: {}{}'.format(
        run.execution.workflow_id, run.status,
        ' ({})'.format(run.reason) if run.reason else ''))
    return 0 if run.status == 'COMPLETED' else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
