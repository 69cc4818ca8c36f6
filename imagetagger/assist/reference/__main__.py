"""``python -m assist.reference [--host H] [--port P] [--model-version V] [--auth-token T]``, from the
``imagetagger`` folder. Prints ``listening on http://HOST:PORT`` (the chosen port with ``--port 0``)."""

import argparse
import os
import sys

from .server import Settings, make_server


def arguments(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m assist.reference",
        description="A reference model backend speaking the Label Studio ML backend protocol: faces and "
        "people (OpenCV Haar cascades), and GrabCut outlines of a prompted object.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9090, help="port to listen on; 0 picks a free one (default 9090)")
    parser.add_argument("--model-version", default="1.0", help="the version named in answers (default 1.0)")
    parser.add_argument(
        "--auth-token",
        default=os.environ.get("REFERENCE_BACKEND_TOKEN") or None,
        help="require 'Authorization: Bearer TOKEN' (or 'Token TOKEN') on every request "
        "(default: $REFERENCE_BACKEND_TOKEN, else no token)",
    )
    parser.add_argument("--fetch-timeout", type=float, default=10.0, help="seconds to fetch one image (default 10)")
    return parser.parse_args(argv)


def main(argv=None):
    options = arguments(argv)
    settings = Settings(
        model_version=options.model_version, auth_token=options.auth_token, fetch_timeout=options.fetch_timeout
    )
    server = make_server(options.host, options.port, settings)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on http://{shown}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.backend.pool.shutdown(wait=False, cancel_futures=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
