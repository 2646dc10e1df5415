"""The README's map ("Where things are") names every source file, and names none that is gone."""
import re
import subprocess

from tests.helpers import ROOT

SOURCES = ("demo/", "model/", "deploy/", "train.py", "Dockerfile")


def test_the_readme_map_matches_the_files():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Where things are", 1)[1].split("```", 2)[1]
    listed = set(re.findall(r"^(\S+)", table, flags=re.M))
    tracked = subprocess.run(["git", "ls-files", *SOURCES], cwd=ROOT, capture_output=True, text=True).stdout.split()
    sources = {path for path in tracked if path.endswith((".py", ".js", ".cfg")) or "/" not in path}
    sources -= {path for path in sources if path.endswith("__init__.py")}
    assert sources - listed == set(), "files missing from the README's map"
    named_files = {entry for entry in listed if not entry.endswith("/")}
    assert {entry for entry in named_files if not (ROOT / entry).exists()} == set(), "the map names files that are gone"
