import pytest

from users.tests.oidc_provider.fixtures import oidc_provider, sso  # noqa: F401 (pytest fixtures)


@pytest.fixture
def people(make_user, make_team):
    """A team "Robots" with an admin and a member, plus an outsider."""
    admin = make_user("ada")
    member = make_user("bob")
    outsider = make_user("otto")
    team = make_team("Robots", admins=[admin], members=[member])
    return team, admin, member, outsider
