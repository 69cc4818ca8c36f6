"""The annotation-type fixtures (``staff``, ``user``, ``world``) of annotations/tests/type_scenarios.py."""

from annotations.tests.type_scenarios import staff, user, world  # noqa: F401 (pytest fixtures)
