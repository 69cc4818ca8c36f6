"""A real OpenID Connect provider for the single sign-on tests: a tiny Django project of its own
(django-oauth-toolkit in OIDC mode) run as a separate process. See ``server.OidcProvider``."""

CLIENT_ID = "imagetagger-test"
CLIENT_SECRET = "imagetagger-test-secret-5b1e"
# A second application at the same provider: its tokens must not open ImageTagger.
OTHER_CLIENT_ID = "other-application"
OTHER_CLIENT_SECRET = "other-application-secret-07c2"
CLIENTS = {CLIENT_ID: CLIENT_SECRET, OTHER_CLIENT_ID: OTHER_CLIENT_SECRET}
# The Django test client's host, and the browser tests' live server (any port: a loopback address).
REDIRECT_URIS = ["http://testserver/user/oidc/callback/", "http://localhost/user/oidc/callback/"]
USERS = ["alice", "bob", "carol"]
PASSWORD = "provider-Password-42"
PROVIDER_NAME = "Test ID"
