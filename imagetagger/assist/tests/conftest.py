import pytest

from assist.tests.scripted_backend import ScriptedBackend


@pytest.fixture
def backend_server():
    """A real HTTP model backend in a thread, scripted by the test (``scripted_backend``)."""
    server = ScriptedBackend()
    yield server
    server.stop()
