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


# --- the README stays short, and every relative link in it and in docs/ leads somewhere -------

MAX_README_LINES = 250
LINK = re.compile(r"!?\[[^\]]*\]\(([^()\s]+)\)")  # [text](target) and ![alt](target)
FENCE = re.compile(r"^```.*?^```[^\n]*$", flags=re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation but '-' and '_' dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path) -> set[str]:
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", path.read_text()), flags=re.M):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            slug = f"{slug}-{count}"  # GitHub numbers a repeated heading's anchor
            seen.setdefault(slug, 1)
    return set(seen)


def relative_links(path) -> list[str]:
    prose = INLINE_CODE.sub("", FENCE.sub("", path.read_text()))
    return [target for target in LINK.findall(prose) if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target)]


def markdown_files():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_github_slug_follows_githubs_rules():
    assert github_slug("HTTP API: `predict`") == "http-api-predict"
    assert github_slug("A class on one link: the network runs in the page (issue #20)") == \
        "a-class-on-one-link-the-network-runs-in-the-page-issue-20"
    assert github_slug("Tried and dropped: the API's load_x before issue #11") == \
        "tried-and-dropped-the-apis-load_x-before-issue-11"


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; the rest belongs in docs/"


def test_every_relative_link_in_the_readme_and_docs_leads_somewhere():
    broken = []
    for source in markdown_files():
        links = relative_links(source)
        assert source.name != "README.md" or links, "the README links to nothing"
        for target in links:
            path, _, anchor = target.partition("#")
            file = (source.parent / path).resolve() if path else source
            if not file.exists():
                broken.append(f"{source.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{source.relative_to(ROOT)}: {target} (no heading with that anchor)")
    assert broken == []


def test_every_doc_starts_with_a_title_and_a_paragraph_saying_what_is_in_it():
    for doc in sorted((ROOT / "docs").glob("*.md")):
        blocks = doc.read_text().split("\n\n")
        assert blocks[0].startswith("# ") and "\n" not in blocks[0], f"{doc.name}: no title"
        assert blocks[1] and not blocks[1].startswith(("#", "|", "-", "```")), f"{doc.name}: no intro paragraph"
