"""Every backup test runs under the usual umask: files would be 0644 unless made private."""

import os

import pytest


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)
