"""Start and drive the test OpenID Connect provider (``python -m users.tests.oidc_provider.serve``)."""

import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import PASSWORD

PROJECT_DIR = Path(__file__).resolve().parents[3]  # the folder holding manage.py
START_TIMEOUT = 60


def rsa_private_key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OidcProvider:
    """The provider as a subprocess on a free port, with its own SQLite file and a fresh RSA key."""

    def __init__(self, folder):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/o"
        self.claims_file = Path(folder) / "claims.json"
        self.reset_claims()
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("IT_", "DJANGO_")) and name != "PYTHONPATH"
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="users.tests.oidc_provider.settings",
            OIDC_PROVIDER_DB=str(Path(folder) / "provider.sqlite3"),
            OIDC_PROVIDER_KEY=rsa_private_key_pem(),
            OIDC_PROVIDER_CLAIMS=str(self.claims_file),
        )
        self.log = Path(folder) / "provider.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "users.tests.oidc_provider.serve", str(self.port)],
                cwd=PROJECT_DIR,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up()

    def _wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OIDC provider exited:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the test OIDC provider did not answer within {START_TIMEOUT} s:\n{self.log.read_text()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # runserver ends on SIGTERM
            self.process.wait(timeout=10)

    # --- what the provider says about its users ---

    def reset_claims(self):
        self._write_claims({})

    def set_claims(self, username, **claims):
        """Claims for ``username`` from now on (``None`` removes one), e.g. ``email_verified=True``."""
        everything = json.loads(self.claims_file.read_text())
        everything.setdefault(username, {}).update(claims)
        self._write_claims(everything)

    def _write_claims(self, everything):
        scratch = self.claims_file.with_suffix(".tmp")
        scratch.write_text(json.dumps(everything))
        scratch.replace(self.claims_file)

    # --- a person at the provider's pages, with requests ---

    def authorize(self, url, username, password=PASSWORD, *, allow=True):
        """Open the authorization ``url`` as a fresh browser would, log in as ``username``, answer the
        consent form (``allow`` or cancel); returns the URL the provider sends the browser back to."""
        browser = requests.Session()
        response = browser.get(url, allow_redirects=False, timeout=10)
        for _step in range(10):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if not target.startswith(self.url):
                    return target
                response = browser.get(target, allow_redirects=False, timeout=10)
                continue
            assert response.status_code == 200, (response.status_code, response.text)
            fields = hidden_fields(response.text)
            if 'name="password"' in response.text:
                fields.update(username=username, password=password)
            elif 'id="authorizationForm"' in response.text:
                if allow:
                    fields["allow"] = "Authorize"
            else:
                raise AssertionError(f"unexpected page at the provider: {response.text[:2000]}")
            response = browser.post(response.url, data=fields, allow_redirects=False, timeout=10)
        raise AssertionError("the provider never sent the browser back")

    def id_token_for(self, client_id, client_secret, username, redirect_uri):
        """A genuine ID token the provider issues to ``client_id`` for ``username`` (the whole code flow)."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        back = self.authorize(f"{self.issuer}/authorize/?{urlencode(query)}", username)
        code = parse_qs(urlsplit(back).query)["code"][0]
        response = requests.post(
            f"{self.issuer}/token/",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "client_secret": client_secret,
                "code_verifier": verifier,
            },
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["id_token"]


class _HiddenFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""


def hidden_fields(html):
    parser = _HiddenFields()
    parser.feed(html)
    return parser.fields
