"""The HTML report in a real browser (headless Chromium) and its PDF rendered to images.

Chromium and poppler's pdftoppm are system tools: ``.ci/run`` installs them (Debian packages
``chromium`` and ``poppler-utils``). Without them these tests fail and say what to install.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reports_testutil import Analysed

from winkmon.cli import main
from winkmon.reports import browser

RED = (198, 40, 40)  # --red in the page's styles: wink markers, the flexion line
GREEN = (46, 125, 50)  # --green: the angle line in extension, "good" pills


def _need(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: install the Debian package {package} (.ci/run does)")
    return found


def _pixels_near(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 30) -> int:
    diff = np.abs(img[..., :3].astype(int) - np.array(rgb)).max(axis=-1)
    return int((diff <= tol).sum())


@pytest.fixture(scope="module")
def report_files(analysed: Analysed, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    _need("chromium", "chromium")
    out = tmp_path_factory.mktemp("browser")
    html, pdf = out / "r.html", out / "r.pdf"
    rc = main(
        [
            "report",
            str(analysed.session),
            "--athlete",
            "Sam",
            "--profiles",
            str(analysed.profiles),
            "--no-save",
            "--html",
            str(html),
            "--pdf",
            str(pdf),
        ]
    )
    assert rc == 0
    return html, pdf


def test_cli_html_has_no_external_url(report_files: tuple[Path, Path]) -> None:
    text = report_files[0].read_text(encoding="utf-8")
    assert re.search(r"https?:|//[\w.-]+\.\w|url\(|src=|<link", text) is None


def test_chromium_parses_the_plots(report_files: tuple[Path, Path], analysed: Analysed) -> None:
    dom = browser.dump_dom(report_files[0])
    assert dom.count("<svg") == 4  # two sets: angle and depth each
    assert dom.count('<polyline class="depth"') >= len(analysed.result.reps)
    assert dom.count('class="rep"') == len(analysed.result.reps)


def test_chromium_screenshot_shows_the_report(
    report_files: tuple[Path, Path], tmp_path: Path
) -> None:
    png = tmp_path / "shot.png"
    browser.screenshot(report_files[0], png, 1000, 2600)
    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape[:2] == (2600, 1000)
    assert img.std() > 20  # not a blank page
    assert _pixels_near(img, GREEN) > 500  # the angle line in extension, pills
    assert _pixels_near(img, RED) > 100  # the wink: line in flexion, markers, tile
    # the first set's plots sit below the summary: dark ink (text, axes) in the lower half
    assert (img[1300:, :, :].max(axis=-1) < 80).sum() > 2000


def test_pdf_pages_render(report_files: tuple[Path, Path], tmp_path: Path) -> None:
    pdftoppm = _need("pdftoppm", "poppler-utils")
    pdf = report_files[1]
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run([pdftoppm, "-r", "50", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert 2 <= len(pages) <= 5
    imgs = [np.asarray(Image.open(p).convert("RGB")) for p in pages]
    for img in imgs:
        assert img.std() > 10  # every page has content
        h, w = img.shape[:2]
        assert 1.3 < h / w < 1.5  # A4 portrait
    assert sum(_pixels_near(img, RED, 40) for img in imgs[1:]) > 20  # the wink on a set page


def test_pdf_without_chromium_is_a_one_line_error(
    analysed: Analysed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("WINKMON_CHROMIUM", raising=False)
    rc = main(
        [
            "report",
            str(analysed.session),
            "--no-save",
            "--pdf",
            str(tmp_path / "r.pdf"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "apt-get install chromium" in err and len(err.strip().splitlines()) == 1


def test_report_without_a_profile_renders_its_depth_plots(tmp_path: Path) -> None:
    """The issue's check as written: no --athlete, the shipped recording."""
    _need("chromium", "chromium")
    from reports_testutil import SAMPLE_PATH

    html = tmp_path / "r.html"
    assert main(["report", str(SAMPLE_PATH), "--no-save", "--html", str(html)]) == 0
    dom = browser.dump_dom(html)
    assert dom.count('<svg class="plot depth"') == 2 and '<svg class="plot angle"' not in dom
    assert "no athlete profile" in dom
    assert re.search(r"https?:|src=|<link", html.read_text(encoding="utf-8")) is None
