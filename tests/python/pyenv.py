#!/usr/bin/env python3
"""Creates (once) the virtualenv the interop tests use and prints its python.

The venv lives in <target dir>/ddsr-pyenv, where <target dir> is
$CARGO_TARGET_DIR or the workspace's target/. It is rebuilt when
requirements.txt changes (a stamp file holds the hash of the requirements it
was built from). A file lock makes concurrent test binaries wait for one
another instead of installing twice.

Usage: pyenv.py            -> prints the path of the venv's python
"""

import fcntl
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REQUIREMENTS = HERE / "requirements.txt"


def target_dir() -> pathlib.Path:
    configured = os.environ.get("CARGO_TARGET_DIR")
    return pathlib.Path(configured) if configured else ROOT / "target"


def main() -> int:
    venv = target_dir() / "ddsr-pyenv"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()

    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / "ddsr-pyenv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                           stdout=sys.stderr)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                           check=True, stdout=sys.stderr)
            stamp.write_text(wanted)
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
