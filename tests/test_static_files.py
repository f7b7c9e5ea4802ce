"""Static files: fingerprinted names, cached for good, compressed, rebuilt when a source changes."""

import os
import re
import shutil

from portal import PROJECT_ROOT, static_files


def test_pages_name_static_files_by_content_served_compressed_and_immutable(customer):
    page = customer.get("/accounts/new").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)

    assert len(urls) == 3  # style, htmx, portal.js; the icon is in the page
    for url in urls:
        assert re.search(r"-[0-9a-f]{32}\.\w+$", url), url
        response = customer.get(url, headers={"Accept-Encoding": "gzip, br"})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_changed_source_gets_a_new_name_and_the_old_one_stays(tmp_path):
    folder, source = tmp_path / "static", os.path.join(PROJECT_ROOT, "static")
    for path in static_files.sources(source):
        os.makedirs(os.path.dirname(folder / path), exist_ok=True)
        shutil.copy(os.path.join(source, path), folder / path)
    static_files.build(str(folder))
    before = sorted(path.name for path in folder.glob("portal-*.css"))
    assert static_files.built(str(folder))

    (folder / "portal.css").write_text("body { color: black }\n")
    assert not static_files.built(str(folder))
    static_files.build(str(folder))

    after = sorted(path.name for path in folder.glob("portal-*.css"))
    assert static_files.built(str(folder))
    assert len(after) == 2 and set(before) < set(after)  # the old name kept for open pages
