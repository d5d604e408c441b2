"""The service worker's shell holds every stylesheet, script and icon a page uses.

The list is derived from the templates, the stylesheets, the scripts and the manifest, so a
page that starts using a new file without adding it to sw.js (and to the shell's version)
fails here: offline, such a page would lose its layout (an image 1,280 px wide on a phone).
"""

import json
import re
from pathlib import Path

from jichikai.pwa.views import SHELL_SOURCES

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"

URL_FOR = re.compile(r"""url_for\(\s*['"]static['"]\s*,\s*filename\s*=\s*['"]([^'"]+)['"]""")
LITERAL = re.compile(r"""["'(]/static/([^"')?#]+)""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
SHELL_ARRAY = re.compile(r"const SHELL_FILES = \[(.*?)\];", re.S)
# The map (templates/_map.html, Leaflet in static/vendor/leaflet) needs the network for its
# tiles anyway: its files stay out of the shell (the shelter list beside it works offline).
NETWORK_ONLY_TEMPLATES = {"_map.html"}
NETWORK_ONLY_STATIC = ("vendor/leaflet/",)


def shell_files() -> set[str]:
    source = (STATIC / "js" / "sw.js").read_text(encoding="utf-8")
    return set(re.findall(r'"([^"]+)"', SHELL_ARRAY.search(source).group(1)))


def _network_only(path: Path) -> bool:
    name = str(path.relative_to(STATIC))
    return name.startswith(NETWORK_ONLY_STATIC) or name in {"css/map.css", "js/map.js"}


def used_by_pages() -> set[str]:
    """Static files named by any template, script or stylesheet (paths under static/)."""
    used: set[str] = set()
    for path in TEMPLATES.rglob("*.html"):
        if path.name in NETWORK_ONLY_TEMPLATES:
            continue
        text = path.read_text(encoding="utf-8")
        used.update(URL_FOR.findall(text))
        used.update(LITERAL.findall(text))
    for path in STATIC.rglob("*.js"):
        if _network_only(path):
            continue
        used.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    for path in STATIC.rglob("*.css"):
        if _network_only(path):
            continue
        for target in CSS_URL.findall(path.read_text(encoding="utf-8")):
            if target.startswith("data:"):
                continue
            resolved = (path.parent / target).resolve() if not target.startswith("/") else None
            name = (
                target[len("/static/") :] if resolved is None else str(resolved.relative_to(STATIC))
            )
            used.add(name)
    return used


def test_the_derivation_finds_what_pages_are_known_to_use():
    used = used_by_pages()
    assert {"css/app.css", "css/notices.css", "js/queue.js", "icons/icon-192.png"} <= used


def test_the_map_is_the_only_page_left_out_of_the_shell():
    # What the map page loads is not needed offline; nothing else may hide behind that rule.
    map_files = {
        "vendor/leaflet/leaflet.css",
        "css/map.css",
        "vendor/leaflet/leaflet.js",
        "js/map.js",
    }
    text = (TEMPLATES / "_map.html").read_text(encoding="utf-8")
    assert set(URL_FOR.findall(text)) == map_files
    assert not any(f"/static/{name}" in shell_files() for name in map_files)


def test_every_file_a_page_uses_is_in_the_shell():
    missing = {name for name in used_by_pages() if f"/static/{name}" not in shell_files()}
    assert missing == set()


def test_the_manifests_icons_are_in_the_shell(client):
    with client.get("/manifest.webmanifest") as response:
        icons = {icon["src"] for icon in json.loads(response.get_data())["icons"]}
    assert icons and icons <= shell_files()


def test_every_shell_file_exists_and_counts_in_the_shell_version():
    static = {f[len("/static/") :] for f in shell_files() if f.startswith("/static/")}
    assert all((STATIC / name).is_file() for name in static)
    assert set(SHELL_SOURCES) == static | {"js/sw.js"}
