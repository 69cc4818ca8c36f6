"""Where the server address and the token come from, first found wins:

1. what the caller passes (``--url`` / ``--token`` on the command line);
2. the environment: ``IMAGETAGGER_URL``, ``IMAGETAGGER_TOKEN``;
3. the config file written by ``imagetagger login``: ``$IMAGETAGGER_CONFIG``, else
   ``$XDG_CONFIG_HOME/imagetagger/config.json`` (``~/.config/imagetagger/config.json``), readable by its
   owner only.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    url: str | None
    token: str | None


def path():
    if os.environ.get("IMAGETAGGER_CONFIG"):
        return Path(os.environ["IMAGETAGGER_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "imagetagger" / "config.json"


def load():
    try:
        data = json.loads(path().read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise SystemExit(f"Cannot read the config file {path()}: {error}") from None
    return data if isinstance(data, dict) else {}


def save(url, token):
    """Write ``url`` and ``token`` to the config file (mode 0600); returns its path."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"url": url, "token": token}, out)
    os.chmod(target, 0o600)
    return target


def resolve(url=None, token=None):
    stored = load()
    return Settings(
        url=url or os.environ.get("IMAGETAGGER_URL") or stored.get("url"),
        token=token or os.environ.get("IMAGETAGGER_TOKEN") or stored.get("token"),
    )
