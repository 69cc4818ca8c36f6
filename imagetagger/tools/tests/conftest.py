import pytest


@pytest.fixture
def crew(make_user, make_team, storage_dir):
    """Team Robots: admin ada, members bob and cleo; otto is in no team; sam is staff (in no team)."""
    ada, bob, cleo = make_user("ada"), make_user("bob"), make_user("cleo")
    otto, sam = make_user("otto"), make_user("sam", is_staff=True)
    team = make_team("Robots", admins=[ada], members=[bob, cleo])
    return {"team": team, "ada": ada, "bob": bob, "cleo": cleo, "otto": otto, "sam": sam}
