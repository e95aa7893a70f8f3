"""Garcon logger module.

Garcon logs through the standard :mod:`logging` package, under loggers named
after :data:`LOGGER_PREFIX`. While an activity runs a task, its logger is
named after the execution: ``garcon.{domain}.{workflow_id}.{run_id}``, so a
formatter that shows ``%(name)s`` tells which execution a line belongs to::

    %(asctime)s - %(name)s - %(levelname)s - %(message)s

gives ``2015-01-15 - garcon.[domain].[workflow_id].[run_id] - [level] -
[message]``. Handlers set on the ``garcon`` logger receive every such line.
"""

import logging

LOGGER_PREFIX = 'garcon'


def get_logger_namespace(execution_context):
    """Return the logger namespace for a given execution context.

    Args:
        execution_context (dict): execution context information, with the
            keys ``execution.domain``, ``execution.workflow_id`` and
            ``execution.run_id``.

    Returns:
        str: ``garcon.{domain}.{workflow_id}.{run_id}``.
    """
    return '.'.join([
        LOGGER_PREFIX,
        str(execution_context.get('execution.domain')),
        str(execution_context.get('execution.workflow_id')),
        str(execution_context.get('execution.run_id'))])


class GarconLogger(object):
    """Give a class a logger named after the execution it works for.

    The :class:`~garcon.activity.Activity` and the
    :class:`~garcon.decider.DeciderWorker` extend it, so a task can log
    through ``activity.logger`` and have its lines carry the domain, the
    workflow id and the run id.
    """

    logger_name = None

    @property
    def logger(self):
        """Return the appropriate logger.

        Defaults to :data:`LOGGER_PREFIX` if no logger name was set.

        Returns:
            logging.Logger: a logger object.
        """
        return logging.getLogger(self.logger_name or LOGGER_PREFIX)

    def set_log_context(self, execution_context):
        """Set a logger name with execution context passed in.

        Args:
            execution_context (dict): execution context information.
        """
        self.logger_name = get_logger_namespace(execution_context)

    def unset_log_context(self):
        """Unset the logger name."""
        self.logger_name = None
