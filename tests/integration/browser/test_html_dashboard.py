# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML dashboard in a real browser (headless Chromium).

Renders the sample report of render_dashboard.py (12 hosts, every status, hostile names),
takes a screenshot to tests/output/dashboard.png and checks the DOM *after* the page script
ran (``--dump-dom``): tile counts, one row per host, no injected script or handler ran, and
that sorting, filtering, paging and the details work, driven through the URL hash
(``#sort=name:desc&filter=noncompliant``).  Skipped when Chromium is not installed.

    PYTHONPATH=<collections root> pytest tests/integration/browser
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import render_dashboard  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import common  # noqa: E402
from ansible_collections.fleetsec.banned_av.tests.support import html_dom  # noqa: E402

OUTPUT = os.environ.get("TEST_OUTPUT") or os.path.join(HERE, "..", "..", "output")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


def _chromium():
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")


def run_chromium(args, timeout=90):
    """Run Chromium in its own process group with a throw-away profile; return stdout."""
    profile = tempfile.mkdtemp(prefix="banned-av-chromium-")
    cmd = [CHROMIUM] + CHROMIUM_FLAGS + ["--user-data-dir=%s" % profile] + args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("chromium did not finish within %ss: %s" % (timeout, " ".join(cmd)))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, "chromium failed (%s): %s" % (proc.returncode, err.decode("utf-8", "replace")[-2000:])
    return out.decode("utf-8")


def parse(markup):
    """The DOM Chromium dumped (tolerant: a dump may close elements Chromium opened itself)."""
    return html_dom.parse(markup, strict=False)


def rows(root):
    """(index, host name, status) of the host rows in DOM order."""
    table = root.find("table", id="hosts")
    return [(int(tb.attrs["data-i"]), tb.find("span", "hn").text(), tb.attrs["data-status"])
            for tb in table.iter("tbody", "host")]


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample report and the file URL of its dashboard."""
    if not os.path.isdir(OUTPUT):
        os.makedirs(OUTPUT)
    path = os.path.join(OUTPUT, "dashboard.html")
    report = render_dashboard.render(path)
    return report, "file://" + os.path.abspath(path)


@pytest.fixture(scope="module")
def dump(sample):
    cache = {}

    def get(fragment="", url=None, extra=()):
        key = (fragment, url, tuple(extra))
        if key not in cache:
            target = (url or sample[1]) + (("#" + fragment) if fragment else "")
            cache[key] = parse(run_chromium(list(extra) + ["--dump-dom", target]))
        return cache[key]
    return get


# ---------------------------------------------------------------- tests

def test_screenshot(sample):
    png = os.path.join(OUTPUT, "dashboard.png")
    if os.path.exists(png):
        os.unlink(png)
    run_chromium(["--window-size=1400,1800", "--screenshot=%s" % png, sample[1]])
    with open(png, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20000  # a rendered page, not a blank one
    expanded = os.path.join(OUTPUT, "dashboard-details.png")
    run_chromium(["--window-size=1400,2400", "--screenshot=%s" % expanded, sample[1] + "#sort=status:asc&open=all"])
    assert os.path.getsize(expanded) > 20000


def test_script_ran_and_nothing_injected_ran(dump, sample):
    root = dump()
    body = root.find("body")
    assert body.attrs.get("data-ready") == "1", "the page script did not run"
    assert "data-pwned" not in body.attrs, "an injected event handler ran"
    assert root.find("html").attrs.get("class") == "js"
    assert len(list(root.iter("script"))) == 3, "a host name became a <script> element"
    assert not list(root.iter("img")), "a host name became an <img> element"
    names = [row[1] for row in rows(root)]
    assert render_dashboard.SCRIPT_HOST in names  # shown as text
    assert render_dashboard.IMG_HOST in names
    assert render_dashboard.NONASCII_HOST in names
    title = root.find("title").text()
    assert title.startswith("Banned anti-virus compliance report")


def test_tiles_show_the_counts(dump, sample):
    report = sample[0]
    expected = common.summarize(report["hosts"])["by_status"]
    tiles = dict((t.attrs["data-status"], int(t.find("span", "n").text())) for t in dump().iter("a", "tile"))
    assert tiles == expected
    assert set(tiles) == set(common.STATUSES)
    assert all(tiles[s] >= 1 for s in common.STATUSES), "the sample covers every status"


def test_one_row_per_host_with_details_collapsed(dump, sample):
    root = dump()
    hosts = sample[0]["hosts"]
    assert len(hosts) == 12
    assert rows(root) == [(i, h["name"], h["status"]) for i, h in enumerate(hosts)]
    assert root.find("body").attrs["data-rows"] == "12"
    assert "Showing 12 hosts" in root.find("div", id="shown").text()
    for tb in root.find("table", id="hosts").iter("tbody", "host"):
        toggle = tb.find("button", "tog")
        assert toggle.attrs["aria-expanded"] == "false"
        assert "hidden" in tb.find("tr", "detail").attrs
    headers = list(root.find("table", id="hosts").find("thead").iter("th"))
    assert all(th.attrs.get("aria-sort") == "none" and th.find("button") for th in headers)


def _expected_order(hosts, key, reverse=False):
    """Indexes in the order the page must show: by key, ties in report order, no value last."""
    present = [(key(h), i) for i, h in enumerate(hosts) if key(h) is not None]
    present.sort(key=lambda k: k[0], reverse=reverse)  # stable: ties keep report order
    return [pair[1] for pair in present] + [i for i, h in enumerate(hosts) if key(h) is None]


def test_sort_by_name_descending(dump, sample):
    hosts = sample[0]["hosts"]
    root = dump("sort=name:desc")
    assert [row[0] for row in rows(root)] == _expected_order(hosts, lambda h: h["name"].lower(), reverse=True)
    host_th = root.find("th", data_key="name")
    assert host_th.attrs["aria-sort"] == "descending"
    assert root.find("th", data_key="status").attrs["aria-sort"] == "none"


def test_sort_by_status_uses_severity_order(dump, sample):
    hosts = sample[0]["hosts"]
    order = [row[2] for row in rows(dump("sort=status:asc"))]
    assert order == sorted((h["status"] for h in hosts), key=common.status_rank)
    assert order[0] == "noncompliant" and order[-1] == "compliant"
    desc = [row[2] for row in rows(dump("sort=status:desc"))]
    assert desc == list(reversed(sorted((h["status"] for h in hosts), key=common.status_rank)))


def test_sort_numeric_column_puts_empty_values_last(dump, sample):
    hosts = sample[0]["hosts"]
    got = [row[0] for row in rows(dump("sort=days_left:asc"))]
    assert got == _expected_order(hosts, lambda h: h["days_left"])
    assert [hosts[i]["days_left"] for i in got[:2]] == [3, 12]


def test_filter_by_status_and_text(dump, sample):
    hosts = sample[0]["hosts"]
    root = dump("sort=name:desc&filter=noncompliant")
    assert [row[1] for row in rows(root)] == ["web01", render_dashboard.SCRIPT_HOST]
    assert root.find("select", id="status").find("option", value="noncompliant") is not None
    assert "Showing 2 of 12 hosts" in root.find("div", id="shown").text()
    assert "active" in root.find("a", "tile", data_status="noncompliant").classes()

    failing = [row[2] for row in rows(dump("filter=failing"))]
    assert sorted(failing) == sorted(h["status"] for h in hosts if h["status"] in common.FAILING)
    assert [row[1] for row in rows(dump("q=KIOSK"))] == ["lab-kiosk"]
    # every term must match, anywhere in the host's data (here: a product and a waiver ticket)
    assert [row[1] for row in rows(dump("q=kaspersky%20SEC-4411"))] == [render_dashboard.NONASCII_HOST]
    empty = dump("q=no-such-thing")
    assert rows(empty) == []
    assert "No host matches" in empty.find("table", id="hosts").text()


def test_details_expand(dump):
    root = dump("open=all&filter=blocked")
    (tb,) = list(root.find("table", id="hosts").iter("tbody", "host"))
    assert tb.find("button", "tog").attrs["aria-expanded"] == "true"
    detail = tb.find("tr", "detail")
    assert "hidden" not in detail.attrs
    text = detail.text()
    assert "removal blocked: package is held (dpkg hold)" in text
    assert "kesl 12.1.0.1297 (dpkg: install ok installed)" in text
    assert "apt-get purge kesl: E: Held packages were changed" in text


def test_page_reads_without_javascript(sample, dump):
    """Without JavaScript the page shows every row with its details open.

    Chromium's --dump-dom and --screenshot stop working with --blink-settings=scriptEnabled=false,
    so the page script is blocked the way a browser with script disabled would not run it:
    a copy of the page whose Content-Security-Policy says script-src 'none'."""
    with open(os.path.join(OUTPUT, "dashboard.html"), "rb") as handle:
        markup = handle.read().decode("utf-8")
    blocked, count = re.subn(r"script-src '[^;]*';", "script-src 'none';", markup)
    assert count == 1
    path = os.path.join(OUTPUT, "dashboard-nojs.html")
    with open(path, "wb") as handle:
        handle.write(blocked.encode("utf-8"))
    url = "file://" + os.path.abspath(path)
    root = dump(url=url)
    assert "data-ready" not in root.find("body").attrs, "the script ran although blocked"
    assert root.find("html").attrs.get("class") == "no-js"
    assert len(rows(root)) == 12
    details = list(root.find("table", id="hosts").iter("tr", "detail"))
    assert len(details) == 12 and not [d for d in details if "hidden" in d.attrs]
    assert "kesl.service (active)" in details[0].text()
    assert not list(root.find("table", id="hosts").iter("button"))  # no script-only controls
    png = os.path.join(OUTPUT, "dashboard-nojs.png")
    run_chromium(["--window-size=1400,1800", "--screenshot=%s" % png, url])
    assert os.path.getsize(png) > 20000


def _detail_texts(root):
    out = {}
    for tb in root.find("table", id="hosts").iter("tbody", "host"):
        out[int(tb.attrs["data-i"])] = " ".join(tb.find("tr", "detail").text().split())
    return out


def test_rows_built_by_script_match_server_rows(tmp_path, dump, sample):
    """Above static_limit the script builds rows from the JSON: same content, paged."""
    path = str(tmp_path / "large.html")
    render_dashboard.render(path, sample[0], static_limit=4, page_size=5)
    url = "file://" + path
    page1 = dump(url=url)
    assert [row[0] for row in rows(page1)] == [0, 1, 2, 3, 4]
    assert page1.find("nav", id="pager").attrs.get("hidden") is None
    assert "Page 1 of 3" in page1.find("span", id="pageinfo").text()
    assert page1.find("div", id="shown").text() == u"Rows 1\u20135 of 12 hosts"
    assert [row[0] for row in rows(dump("page=3", url=url))] == [10, 11]
    filtered = dump("filter=warning&sort=name:asc", url=url)
    assert [row[1] for row in rows(filtered)] == sorted(
        [render_dashboard.IMG_HOST, "home-laptop"], key=lambda n: n.lower())
    # details built by the script read exactly like the server-rendered ones
    built = {}
    for page in (1, 2, 3):
        built.update(_detail_texts(dump("open=all&page=%d" % page, url=url)))
    server = _detail_texts(dump("open=all"))
    assert sorted(built) == list(range(12))
    for index in range(12):
        assert built[index] == server[index], "host %d: script and server details differ" % index


# ---------------------------------------------------------------- the trend (issue 15.3)

def test_trend_section_and_chart(tmp_path, dump):
    """The trend section of a report with 14 earlier reports: lists, counts and both inline charts,
    drawn without any external asset (the page's CSP allows none); screenshot for a person to look at."""
    path = os.path.join(OUTPUT, "dashboard-trend.html")
    report = render_dashboard.render(path, render_dashboard.trend_report())
    url = "file://" + os.path.abspath(path)
    root = dump(url=url)
    section = root.find("section", id="trend")
    assert section is not None
    fixed = section.find("tr", id="trend-fixed")
    assert fixed.attrs["data-count"] == "1" and [li.text() for li in fixed.iter("li")] == ["app03"]
    failing = section.find("tr", id="trend-new_failing")
    assert [li.text() for li in failing.iter("li")] == [render_dashboard.SCRIPT_HOST, "edge-gw"]  # as text
    assert root.find("body").attrs.get("data-pwned") is None
    chart = section.find("svg", id="trend-status-chart")
    series = dict((g.attrs["data-status"], g) for g in chart.iter("g", "series"))
    assert set(series) == set(s for s, n in report["trend"]["history"][0]["by_status"].items() if n) | set(
        s for s, n in report["summary"]["by_status"].items() if n)
    assert len(list(series["compliant"].iter("circle"))) == len(report["trend"]["history"]) + 1
    deadlines = section.find("svg", id="trend-deadline-chart").text()
    assert "bis-kaspersky-2024" in deadlines and "passed 789 days ago" in deadlines
    assert "au-pspf-002-2025" in deadlines and "44 days left" in deadlines
    # the table filters on a trend list: the link of its count, or the status filter
    filtered = dump("filter=trend:new_failing", url=url)
    assert sorted(row[1] for row in rows(filtered)) == sorted([render_dashboard.SCRIPT_HOST, "edge-gw"])
    assert filtered.find("select", id="status").find("option", value="trend:new_failing").text().endswith("(2)")
    assert section.find("tr", id="trend-still_failing").find("a").attrs["href"] == "#filter=trend:still_failing"
    png = os.path.join(OUTPUT, "dashboard-trend.png")
    run_chromium(["--window-size=1400,1300", "--screenshot=%s" % png, url])
    assert os.path.getsize(png) > 20000


# ---------------------------------------------------------------- a dashboard that opens (issue 15.4)

LARGE = int(os.environ.get("BANNED_AV_DASHBOARD_HOSTS", "100000"))
#: seconds from navigation until the page script has drawn the first page of hosts; measured
#: 0.4-0.5 s at 100,000 hosts on the 2-core test machine (docs/performance.md): the budget leaves
#: room for a loaded CI machine, and fails the page of issue 15 (8 s, 140 MB)
READY_BUDGET_S = 5.0
FILTER_BUDGET_S = 2.0


def test_a_fleet_of_100000_hosts_opens_in_seconds_and_every_host_is_findable(tmp_path):
    import cdp  # pylint: disable=import-outside-toplevel
    path = str(tmp_path / "fleet.html")
    report = render_dashboard.render(path, render_dashboard.fleet_report(LARGE))
    size = os.path.getsize(path)
    assert size < 64 * LARGE + 200000, "%d bytes for %d hosts" % (size, LARGE)  # 5.4 MB at 100,000 (was 140 MB)
    last = report["hosts"][-1]["name"]
    timed = cdp.measure(CHROMIUM, path, query=last)
    assert timed["ready_s"] < READY_BUDGET_S, timed
    assert timed["rows"] == 500 and timed["hosts_text"] == u"Rows 1\u2013500 of %s hosts" % format(LARGE, ","), timed
    assert timed["filter_s"] < FILTER_BUDGET_S, timed
    assert timed["matches"] == 1 and timed["first_match"] == last, timed
    # every host is in the page: the status filter counts them all, and a host of a unique profile shows its details
    index = (LARGE - 1) - (LARGE - 1) % 97  # the last host with a reason of its own
    root = parse(run_chromium(["--dump-dom", "file://%s#filter=unknown&q=%s&open=all" % (path, report["hosts"][index]["name"])]))
    assert root.find("body").attrs["data-matches"] == "1"
    assert "srv-%06d.example.com port 22: timed out" % index in root.find("tr", id="d-%d" % index).text()
    failing = parse(run_chromium(["--dump-dom", "file://%s#filter=failing" % path])).find("body").attrs["data-matches"]
    assert int(failing) == sum(1 for h in report["hosts"] if common.is_failing(h["status"]))
