"""The client is a package of its own, publishable as it is: a wheel builds from clients/python with
its metadata, dependencies and the `imagetagger` command, and it imports without Django."""

import subprocess
import sys
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def test_a_wheel_builds_with_its_metadata_and_command(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(PACKAGE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("imagetagger_client-*.whl")
    with zipfile.ZipFile(wheel) as opened:
        names = opened.namelist()
        metadata = opened.read(next(name for name in names if name.endswith("METADATA"))).decode()
        entry_points = opened.read(next(name for name in names if name.endswith("entry_points.txt"))).decode()
    assert "imagetagger_client/client.py" in names
    assert "Requires-Dist: httpx" in metadata
    assert "Requires-Dist: tqdm" in metadata
    assert "imagetagger = imagetagger_client.cli:main" in entry_points


def test_the_client_imports_without_django():
    code = "import sys, imagetagger_client; assert 'django' not in sys.modules; print(imagetagger_client.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.1.0"
