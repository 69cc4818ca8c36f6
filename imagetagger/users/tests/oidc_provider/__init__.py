"""A real OpenID Connect provider for the single sign-on tests: a tiny Django project of its own
(django-oauth-toolkit in OIDC mode) run as a separate process. See ``server.OidcProvider``."""

CLIENT_ID = "imagetagger-test"
CLIENT_SECRET = "imagetagger-test-secret-5b1e"
# A second application at the same provider: its tokens must not open ImageTagger.
OTHER_CLIENT_ID = "other-application"
OTHER_CLIENT_SECRET = "other-application-secret-07c2"
# An application whose ID tokens are signed with its client secret (HS256) instead of the provider's RSA key.
HS256_CLIENT_ID = "imagetagger-hs256"
HS256_CLIENT_SECRET = "imagetagger-hs256-secret-9d4a6f0b2c8e"
# client id: (secret, signing algorithm)
CLIENTS = {
    CLIENT_ID: (CLIENT_SECRET, "RS256"),
    OTHER_CLIENT_ID: (OTHER_CLIENT_SECRET, "RS256"),
    HS256_CLIENT_ID: (HS256_CLIENT_SECRET, "HS256"),
}
# The Django test client's host, and the browser tests' live server (any port: a loopback address).
REDIRECT_URIS = ["http://testserver/user/oidc/callback/", "http://localhost/user/oidc/callback/"]
USERS = ["alice", "bob", "carol"]
PASSWORD = "provider-Password-42"
PROVIDER_NAME = "Test ID"
