"""Placeholder: boto 2 compatibility patches for Python 3.12+ (issue 6)."""


def apply():
    """Apply the patches boto 2 needs on this Python (none yet)."""
