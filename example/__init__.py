"""Example flows: run one with ``python -m example.run example.serial``."""
