"""Garcon: a lightweight library for Amazon Simple Workflow (SWF)."""

import re

from setuptools import find_packages
from setuptools import setup


def read_version():
    with open('garcon/__init__.py') as init:
        return re.search(r"__version__ = '([^']+)'", init.read()).group(1)


with open('README.md') as readme:
    long_description = readme.read()

setup(
    name='garcon',
    version=read_version(),
    description='Lightweight library for AWS SWF.',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='MIT',
    packages=find_packages(include=['garcon', 'garcon.*']),
    python_requires='>=3.9',
    install_requires=[
        'boto==2.49.0',
        'backoff>=2.0,<3',
        # boto 2 imports its vendored six, which Python 3.12+ cannot load;
        # garcon.compat points it at the real one.
        'six>=1.16; python_version >= "3.12"',
    ],
    extras_require={
        # garcon.local patches moto's internals: keep to the tested range.
        'local': ['moto[server]>=5.1,<5.3'],
        'test': ['pytest>=7', 'moto[server]>=5.1,<5.3', 'cryptography'],
        'docs': ['sphinx>=7', 'myst-parser>=2', 'pytest>=7'],
    },
    entry_points={
        'console_scripts': ['garcon = garcon.cli:main'],
        # pytest loads the garcon_swf and garcon_run fixtures from here.
        'pytest11': ['garcon = garcon.pytest_plugin'],
    },
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Developers',
        'License :: OSI Approved :: MIT License',
        'Operating System :: OS Independent',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        'Programming Language :: Python :: 3.9',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Programming Language :: Python :: 3.13',
        'Topic :: System :: Distributed Computing',
    ],
)
