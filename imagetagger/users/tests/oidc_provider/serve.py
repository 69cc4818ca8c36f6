"""``python -m users.tests.oidc_provider.serve <port>``: migrate the provider's fresh database, create
its users and client applications, then serve on 127.0.0.1:<port> (settings from the environment,
see ``server.OidcProvider``)."""

import sys

import django
from django.core.management import call_command


def main(port):
    django.setup()
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import Application

    from users.tests.oidc_provider import CLIENTS, PASSWORD, REDIRECT_URIS, USERS

    call_command("migrate", verbosity=0)
    for username in USERS:
        get_user_model().objects.create_user(username, email=f"{username}@example.org", password=PASSWORD)
    for client_id, (secret, algorithm) in CLIENTS.items():
        Application.objects.create(
            name=client_id,
            client_id=client_id,
            client_secret=secret,
            # HS256 signs with the secret, which the provider must then keep as it is.
            hash_client_secret=algorithm != "HS256",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(REDIRECT_URIS),
            algorithm=algorithm,
        )
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, skip_checks=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
