"""Sphinx configuration for the Garcon documentation.

Build (from this directory)::

    sphinx-build -W --keep-going -b html . _build/html

The build needs the packages of ``requirements.txt`` plus Garcon's own
dependencies (boto 2.49 and backoff): the API page imports the real modules,
nothing is mocked.
"""

import os
import sys

# Document the checkout this file belongs to, without installing it.
sys.path.insert(0, os.path.abspath('..'))

import garcon  # noqa: E402  (needs the path above)

# -- Project information ------------------------------------------------------

project = 'Garcon'
author = 'The Garcon contributors'
copyright = 'The Garcon contributors'

# The full version (``0.5.0.dev0``) and the short X.Y version.
release = garcon.__version__
version = '.'.join(release.split('.')[:2])

# -- General configuration ----------------------------------------------------

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'myst_parser',
]

# Pages can be written in reStructuredText or in Markdown (MyST).
source_suffix = {
    '.rst': 'restructuredtext',
    '.md': 'markdown',
}

root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']

# The samples are Python unless a page says otherwise.
highlight_language = 'python3'
pygments_style = 'sphinx'

# -- autodoc / napoleon -------------------------------------------------------

# boto and backoff are installed where the docs are built: mock nothing, so
# an import error in a module shows up as a build warning.
autodoc_mock_imports = []
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'

# Garcon's docstrings follow the Google style.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_include_init_with_doc = False
napoleon_use_rtype = True

# -- HTML output --------------------------------------------------------------

html_theme = 'alabaster'
html_theme_options = {
    'description': 'Lightweight library for Amazon Simple Workflow (SWF).',
    'fixed_sidebar': True,
}
html_title = 'Garcon {}'.format(release)
# No static files of our own (yet): do not ask for a _static directory.
html_static_path = []
