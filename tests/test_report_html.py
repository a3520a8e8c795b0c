"""`report --html`: one self-contained page, checked as text and as a real browser renders it
(Debian's headless Chromium; .ci/run installs it)."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from commsplan.log.book import Logbook

from .helpers import Cli

WINDOW = ("--from", "2020-09-01", "--until", "2020-11-30", "--now", "2020-12-01")


def seed(cli: Cli) -> None:
    for args in (
        ("done", "snb-quarterly", "--occurrence", "2020-Q3", "--by", "Insp Khan", "--now", "2020-09-20"),
        ("done", "iag", "--occurrence", "2020-Q3", "--by", "Insp Khan", "--now", "2020-10-03"),  # late
        ("skip", "ward-panel-meeting", "--occurrence", "2020-Q3", "--reason", "Cancelled: <lockdown> & rules",
         "--by", "Sgt Bell", "--now", "2020-09-10"),
        ("incident", "open", "Stabbing, Romford", "--level", "critical", "--by", "Insp Khan",
         "--now", "2020-10-26T22:15"),
        ("incident", "notify", "20201026-1", "2", "--by", "Insp Khan", "--now", "2020-10-26T22:40"),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, result.stderr


@pytest.fixture
def page(cli: Cli, tmp_path: Path) -> Path:
    seed(cli)
    result = cli("report", "--html", *WINDOW)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "report.html"
    path.write_text(result.stdout, encoding="utf-8")
    return path


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_and_accessible(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert not re.search(r"(src|href)=|url\(|@import", text)  # nothing fetched, from anywhere
    assert tags.count("table") >= 5 and tags.count("caption") == tags.count("table")
    assert all(attrs.get("scope") in ("col", "row") for t, attrs in parser.tags if t == "th")
    assert '<html lang="en-GB">' in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@page { size: A4;" in text
    # text from the log is escaped, never markup
    assert "Cancelled: &lt;lockdown&gt; &amp; rules" in text


def test_the_log_head_is_the_log_as_it_is(cli: Cli, page: Path) -> None:
    book = Logbook(cli.log)
    head = book.head_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    assert f"<p>5 records; the last line's sha256 is <code>{head}</code>." in page.read_text(encoding="utf-8")
    # the next record chains to that very hash
    cli("done", "cmg", "--occurrence", "2020-Q4", "--now", "2020-12-01")
    assert book.read().records[-1].prev == head


def test_html_goes_alone(cli: Cli) -> None:
    result = cli("report", "--html", "--csv", *WINDOW)
    assert result.exit_code == 2
    assert result.stderr == "commsplan: error: choose one of --csv, --html and --json\n"
    by = cli("report", "--html", "--by", "owner", *WINDOW)
    assert (by.exit_code, by.stderr) == (2, "commsplan: error: --html shows every grouping; it takes no --by\n")


# --- in a real browser ---------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("needs Debian's chromium for headless rendering (.ci/run installs it)")
    return found


def _render(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
        ],
        capture_output=True,
        timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result


def _text(markup: str) -> str:
    """The words a reader sees in some markup, one space between them."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def test_chromium_renders_the_key_cells(tmp_path: Path, page: Path) -> None:
    dom = _render(tmp_path, "--dump-dom", page.as_uri()).stdout.decode("utf-8")
    text = _text(dom.split("<body", 1)[1].split(">", 1)[1])
    assert "How the plan was kept, 1 Sep 2020 to 30 Nov 2020" in text
    # the heat map: the audience that kept its plan is last (worst first), with its words
    heat = dom.split('<table class="heat-map">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>', heat)
    assert rows[-1] == "Safer Neighbourhood Boards"
    snb = heat.split('<th scope="row">Safer Neighbourhood Boards</th>', 1)[1].split("</tr>", 1)[0]
    assert _text(snb) == "100% 1 due 100% 1 due – none due – none due"
    assert "1 done on time 1 done late 1 skipped" in text
    assert "ward-panel-meeting 2020-Q3 Cancelled: <lockdown> & rules Sgt Bell" in text
    assert "partners-incident-notification Mon 26 Oct 22:40 25 min Insp Khan" in text


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chromium_screenshots_on_a_desktop_and_a_phone(tmp_path: Path, page: Path) -> None:
    for name, size in (("desktop", (1200, 1600)), ("phone", (390, 844))):
        shot = tmp_path / f"{name}.png"
        _render(tmp_path, f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}", page.as_uri())
        data = shot.read_bytes()
        assert _png_size(data) == size
        assert len(data) > 30_000  # a page of tables and colour, not a blank one


def test_chromium_prints_it_on_a4(tmp_path: Path, page: Path) -> None:
    pdf = tmp_path / "report.pdf"
    _render(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf.read_bytes())
    assert len(boxes) >= 2  # the report runs to more than one page
    for width, height in boxes:  # A4 is 595 x 842 points; Chromium's own default is US Letter
        assert (round(float(width)), round(float(height))) == (595, 842)


def test_conditional_duties_are_shown_as_done_on_n_of_m_days(cli: Cli) -> None:
    for day in ("2020-10-01", "2020-10-02"):
        cli("done", "cp-daily", "--now", f"{day}T10:00")
    page = cli("report", "--html", "--from", "2020-10-01", "--until", "2020-10-07", "--now", "2020-10-08").stdout
    assert "<h2>When there is something to say</h2>" in page
    assert (
        "<code>cp-daily-updates</code><br>Good news stories and crime prevention advice</th><td>2</td><td>7 days</td>"
        in page
    )
