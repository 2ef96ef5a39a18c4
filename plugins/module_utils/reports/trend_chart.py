# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline SVG charts of the trend for the HTML dashboard (no script, no external asset).

``status_chart(points)``: the host count of each status over the known reports (the trend's
``history`` plus this report), one line per status that any point has, x by report time.
``deadline_chart(deadlines)``: the days left to each policy deadline (``trend.deadlines``), one
bar each; a deadline that passed is drawn at zero, labelled with the days since.

Colours are presentation attributes (the page's Content-Security-Policy allows no inline
``style``); every text is escaped.  Each chart has a ``<title>`` and the same numbers are in
the tables beside it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import html

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import STATUS_ORDER, text

COLOURS = {
    "noncompliant": "#cf222e", "blocked": "#82071e", "waiver_expired": "#d1242f", "degraded": "#bc4c00",
    "unknown": "#e16f24", "reboot_pending": "#9a6700", "warning": "#d4a72c", "waived": "#0969da",
    "remediated": "#1b7c83", "compliant": "#1a7f37",
}
OTHER_COLOUR = "#6e7781"
DASHES = {"unknown": "6 3", "waiver_expired": "2 2", "blocked": "8 3 2 3", "degraded": "4 4"}

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 42
HORIZON = 365  # days: a deadline further away is drawn at the right edge


def _esc(value):
    return html.escape(text(value), quote=True)


def _time(value):
    """Seconds of an ISO time (``2026-11-27T06:00:00Z``, or a date), else None."""
    value = text(value)
    for fmt, size in (("%Y-%m-%dT%H:%M:%S", 19), ("%Y-%m-%d", 10)):
        try:
            moment = datetime.datetime.strptime(value[:size], fmt)
        except ValueError:
            continue
        return (moment - datetime.datetime(1970, 1, 1)).total_seconds()
    return None


def _xs(points, width):
    """x of each point: by time when every point has one and they differ, else evenly spaced."""
    times = [_time(p.get("generated_at")) for p in points]
    if len(points) == 1:
        return [LEFT + width / 2.0]
    if None in times or max(times) <= min(times):
        return [LEFT + width * i / (len(points) - 1.0) for i in range(len(points))]
    low, high = min(times), max(times)
    return [LEFT + width * (t - low) / (high - low) for t in times]


def _ticks(top):
    """About four round values from 0 to ``top``."""
    if top <= 4:
        return list(range(0, int(top) + 1))
    raw = top / 4.0
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    out = []
    value = 0
    while value <= top:
        out.append(value)
        value += step
    return out


def status_chart(points):
    """SVG markup: the count of each status at each point (``{generated_at, by_status}``)."""
    statuses = [s for s in STATUS_ORDER if any((p.get("by_status") or {}).get(s) for p in points)]
    statuses += sorted(set(s for p in points for s, n in (p.get("by_status") or {}).items()
                           if n and s not in STATUS_ORDER))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([n for p in points for n in (p.get("by_status") or {}).values()] + [1])
    ticks = _ticks(top)
    top = max(top, ticks[-1])
    xs = _xs(points, plot_w)

    def y(count):
        return TOP + plot_h - plot_h * float(count) / top

    out = ['<svg class="chart" id="trend-status-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" '
           'width="%d" height="%d" role="img" aria-labelledby="trend-status-title">' % (WIDTH, HEIGHT, WIDTH, HEIGHT),
           '<title id="trend-status-title">Hosts by status in the last %d reports</title>' % len(points)]
    for tick in ticks:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d1d9e0" stroke-width="1"/>'
                   '<text x="%d" y="%.1f" font-size="11" fill="#59636e" text-anchor="end">%s</text>'
                   % (LEFT, LEFT + plot_w, y(tick), y(tick), LEFT - 6, y(tick) + 4, format(int(tick), ",")))
    labels = [0, len(points) - 1] if len(points) > 1 else [0]
    for index in labels:
        anchor = "start" if index == 0 and len(points) > 1 else "end" if index else "middle"
        label = text(points[index].get("generated_at"))[:10] + (" (now)" if index == len(points) - 1 else "")
        out.append('<text x="%.1f" y="%d" font-size="11" fill="#59636e" text-anchor="%s">%s</text>'
                   % (xs[index], HEIGHT - BOTTOM + 16, anchor, _esc(label)))
    legend_y = TOP + 4
    for status in statuses:
        colour = COLOURS.get(status, OTHER_COLOUR)
        dash = ' stroke-dasharray="%s"' % DASHES[status] if status in DASHES else ""
        coords = [(x, y((p.get("by_status") or {}).get(status, 0))) for x, p in zip(xs, points)]
        path = " ".join("%.1f,%.1f" % c for c in coords)
        out.append('<g class="series" data-status="%s"><polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>'
                   % (_esc(status), path, colour, dash))
        out.extend('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (cx, cy, colour) for cx, cy in coords)
        out.append('</g>')
        now = (points[-1].get("by_status") or {}).get(status, 0)
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2.5"%s/>'
                   '<text x="%d" y="%d" font-size="12" fill="#1f2328">%s %s</text>'
                   % (WIDTH - RIGHT + 12, WIDTH - RIGHT + 30, legend_y, legend_y, colour, dash, WIDTH - RIGHT + 36,
                      legend_y + 4, _esc(status.replace("_", " ")), format(now, ",")))
        legend_y += 18
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#8c959f" stroke-width="1"/>'
               % (LEFT, LEFT + plot_w, TOP + plot_h, TOP + plot_h))
    out.append("</svg>")
    return "".join(out)


def deadline_chart(deadlines):
    """SVG markup: one bar per deadline (``trend.deadlines``), length = days left (up to a year)."""
    row, label_w, width = 30, 260, WIDTH
    height = TOP + row * len(deadlines) + 24
    bar_w = width - label_w - 150
    out = ['<svg class="chart" id="trend-deadline-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" '
           'width="%d" height="%d" role="img" aria-labelledby="trend-deadline-title">' % (width, height, width, height),
           '<title id="trend-deadline-title">Days left to each deadline of the policies that apply to these hosts'
           '</title>']
    for index, deadline in enumerate(deadlines):
        y = TOP + index * row
        days = deadline.get("days_left")
        out.append('<text x="0" y="%d" font-size="12" fill="#1f2328">%s</text>'
                   '<text x="0" y="%d" font-size="10" fill="#59636e">%s: %s of %s failing</text>'
                   % (y + 10, _esc(deadline.get("policy")), y + 23, _esc(deadline.get("date")),
                      format(deadline.get("failing") or 0, ","), format(deadline.get("hosts") or 0, ",")))
        if days is None:
            continue
        length = bar_w * min(max(days, 0), HORIZON) / float(HORIZON)
        colour = "#cf222e" if days < 0 else "#d4a72c" if days <= 30 else "#0969da"
        if days >= 0:
            out.append('<rect x="%d" y="%d" width="%.1f" height="14" rx="2" fill="%s"/>' % (label_w, y + 2, max(length, 2), colour))
        words = "passed %s days ago" % format(-days, ",") if days < 0 else "%s days left%s" % (
            format(days, ","), " (more than a year)" if days > HORIZON else "")
        out.append('<text x="%.1f" y="%d" font-size="12" fill="%s">%s</text>'
                   % (label_w + (length if days >= 0 else 0) + 8, y + 13, colour if days < 0 else "#1f2328", _esc(words)))
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#8c959f"/>' % (label_w, label_w, TOP - 4, height - 20))
    out.append('<text x="%d" y="%d" font-size="10" fill="#59636e">today (as of)</text>' % (label_w, height - 6))
    out.append("</svg>")
    return "".join(out)
