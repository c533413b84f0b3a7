"""Is the lock still the lock of pyproject.toml? `make` runs this after installing from the lock.

pip installs only what requirements/dev.txt lists, so a dependency added to pyproject.toml without
`make lock` would be missing at import time, somewhere in the test run. This names it at once.

Checks that every requirement of pyproject.toml (dependencies, every extra, the build backend) is
pinned in requirements/dev.txt at a version it allows, that the runtime dependencies are pinned in
requirements/runtime.txt at the same versions, and that every pin carries a hash. Exits 1 with the
list of problems, each naming the package and the file.

    python scripts/check_lock.py [PYPROJECT] [DEV_LOCK] [RUNTIME_LOCK]
"""

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(lock: Path) -> dict[str, tuple[str, bool]]:
    """Package name → (pinned version, has a hash), read from a `uv pip compile` / pip-compile file."""
    found: dict[str, tuple[str, bool]] = {}
    # A requirement and its `--hash` options are one logical line joined by trailing backslashes.
    text = re.sub(r"\\\n", " ", lock.read_text())
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = re.match(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if match is None:
            found[line] = ("", False)  # not a pin: reported below
            continue
        found[canonicalize_name(match.group(1))] = (match.group(3), "--hash=" in line)
    return found


def problems(pyproject: Path, dev_lock: Path, runtime_lock: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())
    runtime = [Requirement(line) for line in project["project"].get("dependencies", [])]
    extras = [Requirement(line) for group in project["project"].get("optional-dependencies", {}).values()
              for line in group]
    build = [Requirement(line) for line in project.get("build-system", {}).get("requires", [])]

    found: list[str] = []
    dev_pins = pins(dev_lock)
    runtime_pins = pins(runtime_lock)
    for lock, locked in ((dev_lock, dev_pins), (runtime_lock, runtime_pins)):
        for name, (version, hashed) in locked.items():
            if not version:
                found.append(f"{lock.name}: '{name}' is not a pinned requirement (name==version)")
            elif not hashed:
                found.append(f"{lock.name}: {name}=={version} has no --hash")

    for requirement in runtime + extras + build:
        name = canonicalize_name(requirement.name)
        version = dev_pins.get(name, ("", False))[0]
        if not version:
            found.append(f"{dev_lock.name}: {requirement} from pyproject.toml is not locked")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{dev_lock.name}: {name}=={version} does not satisfy '{requirement}' from pyproject.toml")
    for requirement in runtime:
        name = canonicalize_name(requirement.name)
        version = runtime_pins.get(name, ("", False))[0]
        if version != dev_pins.get(name, ("", False))[0]:
            found.append(f"{runtime_lock.name}: {name} is locked at '{version or 'nothing'}', "
                         f"{dev_lock.name} at '{dev_pins.get(name, ('nothing',))[0]}'")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [
        ROOT / "pyproject.toml", ROOT / "requirements" / "dev.txt", ROOT / "requirements" / "runtime.txt"]
    found = problems(*paths)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print("The lock files do not match pyproject.toml: run `make lock`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
