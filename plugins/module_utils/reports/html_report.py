# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML dashboard: one self-contained HTML5 page.

Self-contained and safe
-----------------------
* No external asset: CSS and vanilla JavaScript are inline; system fonts only.  A
  ``Content-Security-Policy`` meta tag (``default-src 'none'``) lets the page load nothing
  from anywhere and run only its own inline script and style (allowed by their SHA-256), so
  even a mistake in escaping could not run injected script or leak data to a server.
* Every value from the fleet is escaped with ``html.escape`` (characters HTML does not allow
  are removed).  The report is embedded as JSON in ``<script type="application/json"
  id="report-data">`` with every ``<`` written ``\\u003c`` (so ``</script>`` and ``<!--`` in a
  host name cannot end the element).  The script builds DOM nodes with ``textContent``,
  never ``innerHTML``.

Reading without JavaScript
--------------------------
Header, status tiles, the host table and a details row per host (reasons, findings with
their evidence, protection, waiver, remediation) are rendered here, on the server.  The
script only adds sorting (click a column header; status sorts most severe first), the
text filter and the status filter, collapsible details and paging.

Large fleets
------------
Up to ``static_limit`` hosts (2,000) every host is rendered server-side.  Above it, the page
would grow by several KB per host, so only the first ``static_limit`` hosts, those needing
action first, are rendered server-side (a ``<noscript>`` note says so) and the script builds
the other rows from the embedded JSON on demand, ``page_size`` (500) rows per page.  The
embedded JSON (the whole report) is then most of the page.

URL hash
--------
The view state lives in the URL hash, so a filtered view can be bookmarked or linked, and
tests can drive the page: ``#sort=<column>:<asc|desc>&filter=<status|failing|needs_action>
&q=<text>&page=<n>&open=all``.  Columns: ``name status severity platform products findings
days_left waiver collected``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import html
import json
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    FAILING,
    NEEDS_ACTION,
    SEVERITIES,
    STATUS_LABELS,
    STATUS_ORDER,
    STATUSES,
    evidence_item,
    is_failing,
    needs_action,
    status_rank,
    text,
)

STATIC_LIMIT = 2000
PAGE_SIZE = 500

COLUMNS = (
    ("name", "Host"),
    ("status", "Status"),
    ("severity", "Severity"),
    ("platform", "Platform"),
    ("products", "Products"),
    ("findings", "Findings"),
    ("days_left", "Days left"),
    ("waiver", "Waiver expires"),
    ("collected", "Collected"),
)
NUMERIC_COLUMNS = ("findings", "days_left")

_HTML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_URL_RE = re.compile(r"https?://[^\s\"'<>]+[^\s\"'<>.,;:)]")

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--soft:#eaeef2;--accent:#0969da}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;
color:var(--fg);background:var(--bg)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:12px}
a{color:var(--accent)}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
header.top{background:#1f2937;color:#f9fafb;padding:22px 32px 18px}
header.top h1{margin:0;font-size:21px;font-weight:600;letter-spacing:.01em}
header.top .sub{margin:4px 0 0;color:#cbd5e1}
dl.meta{display:flex;flex-wrap:wrap;gap:6px 26px;margin:14px 0 0;padding:0;font-size:13px}
dl.meta div{display:flex;gap:6px;min-width:0}
dl.meta dt{color:#94a3b8}
dl.meta dd{margin:0;font-weight:500;overflow-wrap:anywhere}
main{padding:20px 32px 8px;max-width:1480px;margin:0 auto}
h2{font-size:16px;margin:26px 0 10px}
.verdict{display:flex;align-items:center;gap:12px;margin:0;padding:12px 16px;border-radius:8px;border:1px solid var(--line);
border-left:6px solid #1a7f37;background:var(--card);font-size:16px;font-weight:600}
.verdict.fail{border-left-color:#cf222e}
.verdict.act{border-left-color:#bf8700}
.verdict .small{font-weight:400;color:var(--muted);font-size:13px}
.tiles{list-style:none;display:grid;grid-template-columns:repeat(auto-fit,minmax(116px,1fr));gap:10px;padding:0;margin:14px 0 0}
.tile{display:block;height:100%;background:var(--card);border:1px solid var(--line);border-top:4px solid var(--c);border-radius:8px;
padding:9px 12px 10px;color:inherit;text-decoration:none}
.tile:hover{border-color:var(--c)}
.tile .n{display:block;font-size:26px;line-height:1.2;font-weight:650;color:var(--c);font-variant-numeric:tabular-nums}
.tile .l{display:block;font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.tile.zero{opacity:.5}
.tile.zero .n{color:var(--muted)}
.tile.active{outline:2px solid var(--accent);outline-offset:1px}
.st-noncompliant{--c:#cf222e;--t:#fff}
.st-blocked{--c:#82071e;--t:#fff}
.st-waiver_expired{--c:#d1242f;--t:#fff}
.st-degraded{--c:#bc4c00;--t:#fff}
.st-unknown{--c:#e16f24;--t:#fff}
.st-reboot_pending{--c:#9a6700;--t:#fff}
.st-warning{--c:#d4a72c;--t:#1f2328}
.st-waived{--c:#0969da;--t:#fff}
.st-remediated{--c:#1b7c83;--t:#fff}
.st-compliant{--c:#1a7f37;--t:#fff}
.st-other{--c:#6e7781;--t:#fff}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;background:var(--c);color:var(--t);white-space:nowrap}
.controls{display:flex;flex-wrap:wrap;align-items:flex-end;gap:10px 16px;margin:0 0 10px}
.controls label{display:block;font-size:12px;font-weight:600;color:var(--muted);margin-bottom:3px}
.controls input,.controls select,.btn{font:inherit;padding:6px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);
color:var(--fg)}
.controls input{width:22em;max-width:100%}
.btn{cursor:pointer;font-weight:500}
.btn:hover{background:var(--soft)}
.btn[disabled]{opacity:.5;cursor:default}
#shown{color:var(--muted);margin-left:auto;padding-bottom:6px}
.no-js .nojs-hide{display:none}
.tablewrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px;background:var(--card)}
table.hosts{width:100%;border-collapse:collapse}
table.hosts>thead th{position:sticky;top:0;z-index:1;background:#eef1f4;text-align:left;font-weight:600;font-size:13px;
border-bottom:1px solid var(--line);padding:8px 10px;white-space:nowrap}
.js table.hosts>thead th{padding:0}
table.hosts>thead th button{font:inherit;color:inherit;background:none;border:0;width:100%;text-align:inherit;padding:8px 10px;cursor:pointer;
white-space:nowrap}
table.hosts>thead th button:hover{background:#e3e8ee}
table.hosts>thead th button::after{content:"\\2195";color:#8c959f;margin-left:6px;font-size:11px}
table.hosts>thead th[aria-sort=ascending] button::after{content:"\\25B2";color:var(--fg)}
table.hosts>thead th[aria-sort=descending] button::after{content:"\\25BC";color:var(--fg)}
table.hosts>tbody>tr>td{padding:8px 10px;border-top:1px solid var(--soft);vertical-align:top}
table.hosts>tbody:first-of-type>tr:first-child>td{border-top:0}
table.hosts>tbody.host:hover>tr.row>td{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.c-name{font-weight:600;overflow-wrap:anywhere;min-width:15em}
td.c-prod{min-width:12em}
td.muted,.muted{color:var(--muted)}
td.c-time{white-space:nowrap}
.sev{text-transform:capitalize}
.sev-critical{color:#a40e26;font-weight:600}
.sev-high{color:#bc4c00;font-weight:600}
.tog{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer;text-align:left;overflow-wrap:anywhere}
.tog::before{content:"";display:inline-block;width:0;height:0;margin:0 8px 2px 0;border-style:solid;border-width:5px 0 5px 7px;
border-color:transparent transparent transparent #57606a;vertical-align:middle;transition:transform .12s}
.tog[aria-expanded=true]::before{transform:rotate(90deg)}
.tog:hover .hn{text-decoration:underline}
table.hosts>tbody>tr.detail>td{background:#f6f8fa;border-top:1px dashed var(--soft);box-shadow:inset 3px 0 0 var(--line);padding:12px 16px 16px 30px}
.dgrid{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px 28px}
.blk{min-width:0}
.blk.wide{grid-column:1/-1}
.blk h3{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 6px}
.blk h4{font-size:12px;margin:8px 0 4px}
.blk ul{margin:0;padding-left:18px}
.blk li{margin:2px 0;overflow-wrap:anywhere}
.none{margin:0;color:var(--muted)}
table.sub{border-collapse:collapse;width:100%;font-size:13px;background:var(--card);border:1px solid var(--soft)}
table.sub th{text-align:left;font-size:12px;font-weight:600;color:var(--muted);background:#f6f8fa;padding:5px 8px;border-bottom:1px solid var(--soft)}
table.sub td{padding:6px 8px;border-top:1px solid var(--soft);vertical-align:top;overflow-wrap:anywhere}
table.sub td.mono,table.sub td.nw{white-space:nowrap;overflow-wrap:normal}
ul.ev{list-style:none;padding:0;margin:0}
ul.ev li{margin:0 0 2px}
.k{display:inline-block;min-width:4.5em;margin-right:4px;padding:0 5px;border-radius:4px;background:var(--soft);color:#424a53;font-size:11px;
font-weight:600;text-align:center}
.vd{font-weight:600;white-space:nowrap}
.vd-violation,.vd-waiver_expired{color:#cf222e}
.vd-warning{color:#9a6700}
.vd-waived{color:#0969da}
.vd-residue{color:#bc4c00}
.vd-ok{color:#1a7f37}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:11px;font-weight:600;background:var(--soft);color:#424a53}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:0}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;overflow-wrap:anywhere}
.expired{color:#cf222e;font-weight:600}
#pager{display:flex;align-items:center;gap:12px;margin:10px 0 0}
#pager[hidden]{display:none}
.note{padding:10px 14px;border:1px solid #d4a72c;background:#fff8c5;border-radius:8px}
table.policies{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);font-size:13px}
table.policies th,table.policies td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--soft);vertical-align:top}
table.policies th{background:#eef1f4}
table.policies td:first-child{white-space:nowrap}
table.policies ul{margin:0;padding-left:16px}
footer{max-width:1480px;margin:0 auto;padding:16px 32px 28px;color:var(--muted);font-size:12px}
footer code{overflow-wrap:anywhere}
@media print{
header.top{background:none;color:#000;padding:0 0 8px}
header.top .sub,dl.meta dt{color:#444}
.controls,#pager,.tog::before{display:none}
tr.detail[hidden]{display:table-row}
table.hosts>thead th button::after{content:none}
.tablewrap{overflow:visible}
}
"""

JS = r"""
(function () {
  "use strict";
  var d = document;
  d.documentElement.className = "js";
  function $(id) { return d.getElementById(id); }
  var data = JSON.parse($("report-data").textContent);
  var cfg = JSON.parse($("report-config").textContent);
  var evidenceText = JSON.parse($("report-evidence").textContent);
  var hosts = data.hosts || [];
  var table = $("hosts");
  var columns = cfg.columns;
  var statusRank = {}, sevRank = {}, isFailing = {}, isActing = {};
  cfg.statusOrder.forEach(function (s, i) { statusRank[s] = i; });
  cfg.severities.forEach(function (s, i) { sevRank[s] = i; });
  cfg.failing.forEach(function (s) { isFailing[s] = true; });
  cfg.needsAction.forEach(function (s) { isActing[s] = true; });

  function str(v) {
    if (v === null || v === undefined) { return ""; }
    if (Array.isArray(v)) { return v.map(str).join(", "); }
    if (typeof v === "object") {
      return Object.keys(v).map(function (k) { return k + ": " + str(v[k]); }).join(", ");
    }
    return String(v);
  }
  function el(tag, cls, kids) {
    var n = d.createElement(tag);
    if (cls) { n.className = cls; }
    (kids || []).forEach(function (k) {
      if (k === null || k === undefined) { return; }
      n.appendChild(typeof k === "object" ? k : d.createTextNode(String(k)));
    });
    return n;
  }
  function known(s) { return Object.prototype.hasOwnProperty.call(statusRank, s); }
  function stClass(s) { return known(s) ? "st-" + s : "st-other"; }
  function label(s) { return cfg.labels[s] || str(s); }
  function productsOf(h) {
    var out = [];
    (h.findings || []).forEach(function (f) {
      var p = str(f.product || f.id);
      if (out.indexOf(p) < 0) { out.push(p); }
    });
    return out.join(", ");
  }
  function waiverText(w) {
    if (!w) { return ""; }
    return str(w.expires) + (w.expired ? " (expired)" : "");
  }

  // one record of sort and search keys per host
  var recs = hosts.map(function (h, i) {
    var f = h.findings || [];
    var w = h.waiver || null;
    var products = productsOf(h);
    var status = str(h.status);
    var hay = [h.name, status, label(status), h.severity, h.platform, products,
               f.map(function (x) { return str(x.id) + " " + str(x.vendor) + " " + str(x.version); }).join(" "),
               (h.reasons || []).map(str).join(" "),
               w ? [w.id, w.ticket, w.owner].map(str).join(" ") : ""].map(str).join("\n").toLowerCase();
    return {
      i: i, hay: hay, status: status,
      failing: isFailing[status] === true || !known(status),
      acting: isActing[status] === true || !known(status),
      k: {
        name: str(h.name).toLowerCase(),
        status: known(status) ? statusRank[status] : cfg.unrecognisedRank,
        severity: Object.prototype.hasOwnProperty.call(sevRank, h.severity) ? sevRank[h.severity] : null,
        platform: str(h.platform).toLowerCase(),
        products: products.toLowerCase(),
        findings: f.length,
        days_left: typeof h.days_left === "number" ? h.days_left : null,
        waiver: w && w.expires ? str(w.expires) : null,
        collected: str(h.collected_at)
      }
    };
  });

  // ---- rows: server-rendered ones are reused, the others are built from the JSON
  var nodes = {};
  Array.prototype.forEach.call(table.tBodies, function (tb) {
    if (tb.hasAttribute("data-i")) { nodes[tb.getAttribute("data-i")] = tb; enhance(tb); }
  });

  function finding(f, lines) {
    // each evidence item's text comes from the server (evidence.describe), never built here
    var ev = el("ul", "ev");
    (lines || []).forEach(function (t) { ev.appendChild(el("li", null, [str(t)])); });
    var sub = [el("code", null, [str(f.id)])];
    if (f.vendor) { sub.push(" \u00b7 " + str(f.vendor)); }
    if (f.installed === false) { sub.push(" "); sub.push(el("span", "tag", ["residue only"])); }
    return el("tr", null, [
      el("td", null, [str(f.product || f.id), el("div", "muted", sub)]),
      el("td", null, [str(f.category)]),
      el("td", "mono", [str(f.version) || "\u2014"]),
      el("td", "mono", [str(f.signatures_date) || "\u2014"]),
      el("td", null, [el("span", "vd vd-" + str(f.verdict).replace(/[^a-z_]/g, ""), [str(f.verdict)])]),
      el("td", null, [str(f.confidence)]),
      el("td", "nw", [str(f.policy) || "\u2014"]),
      el("td", null, [(f.evidence || []).length ? ev : el("span", "muted", ["none"])])
    ]);
  }
  function none() { return el("p", "none", ["None"]); }
  function kv(pairs) {
    var dl = el("dl", "kv");
    pairs.forEach(function (p) { dl.appendChild(el("dt", null, [p[0]])); dl.appendChild(el("dd", p[2] || null, [p[1]])); });
    return dl;
  }
  function ul(items) { return el("ul", null, items.map(function (x) { return el("li", null, [str(x)]); })); }
  function titleCase(k) { k = String(k).replace(/_/g, " "); return k.charAt(0).toUpperCase() + k.slice(1); }
  function block(title, kids, wide) { return el("section", wide ? "blk wide" : "blk", [el("h3", null, [title])].concat(kids)); }
  function detail(h, i) {
    var f = h.findings || [], p = h.protection || [], w = h.waiver, r = h.remediation;
    var reasons = (h.reasons || []).length ? ul(h.reasons) : none();
    var ft = none();
    if (f.length) {
      var head = el("tr", null, cfg.findingColumns.map(function (c) { var th = el("th", null, [c]); th.setAttribute("scope", "col"); return th; }));
      ft = el("table", "sub", [el("thead", null, [head]), el("tbody", null, f.map(function (x, j) { return finding(x, (evidenceText[i] || [])[j]); }))]);
    }
    var pt = none();
    if (p.length) {
      pt = el("ul", null, p.map(function (x) {
        var bits = [x.present === false ? "absent" : "present",
                    x.active === true ? "active" : x.active === false ? "inactive" : "activity unknown",
                    x.approved ? "approved" : "not approved"];
        return el("li", null, [el("strong", null, [str(x.product || x.id)]), " ", el("span", "muted", ["(" + str(x.id) + ")"]), ": " + bits.join(", ")]);
      }));
    }
    var wt = none();
    if (w) {
      wt = kv([["ID", str(w.id)], ["Owner", str(w.owner)], ["Ticket", str(w.ticket)],
               ["Expires", str(w.expires) + (w.expired ? " (expired)" : ""), w.expired ? "expired" : null],
               ["Reason", str(w.reason)]]);
    }
    var rt = [none()];
    if (r) {
      rt = [];
      var pairs = [["Outcome", str(r.outcome)]];
      Object.keys(r).forEach(function (k) {
        if (k !== "outcome" && !Array.isArray(r[k])) { pairs.push([titleCase(k), str(r[k])]); }
      });
      rt.push(kv(pairs));
      Object.keys(r).forEach(function (k) {
        if (Array.isArray(r[k])) {
          rt.push(el("h4", null, [titleCase(k)]));
          rt.push(r[k].length ? ul(r[k]) : none());
        }
      });
    }
    var errs = (h.errors || []).map(function (e) {
      return e && typeof e === "object" && !Array.isArray(e) ? str(e.source) + ": " + str(e.message) : str(e);
    });
    return el("div", "dgrid", [
      block("Reasons", [reasons], false),
      block("Protection", [pt], false),
      block("Waiver", [wt], false),
      block("Remediation", rt, false),
      errs.length ? block("Collection errors", [ul(errs)], true) : null,
      block("Findings", [ft], true)
    ]);
  }
  function build(i) {
    var h = hosts[i], status = str(h.status), w = h.waiver;
    var name = el("td", "c-name", [el("span", "hn", [str(h.name)])]);
    var row = el("tr", "row", [
      name,
      el("td", null, [el("span", "pill " + stClass(status), [label(status)])]),
      el("td", "sev sev-" + str(h.severity).replace(/[^a-z]/g, ""), [str(h.severity) || "\u2014"]),
      el("td", null, [str(h.platform)]),
      el("td", "c-prod", [productsOf(h) || "\u2014"]),
      el("td", "num", [String((h.findings || []).length)]),
      el("td", "num", [typeof h.days_left === "number" ? String(h.days_left) : ""]),
      el("td", w && w.expired ? "expired" : null, [waiverText(w)]),
      el("td", "muted mono c-time", [str(h.collected_at)])
    ]);
    var cell = el("td");
    cell.colSpan = columns.length;
    cell.setAttribute("data-lazy", "1");
    var det = el("tr", "detail", [cell]);
    det.id = "d-" + i;
    var tb = el("tbody", "host", [row, det]);
    tb.setAttribute("data-i", String(i));
    tb.setAttribute("data-status", status);
    enhance(tb);
    return tb;
  }
  function enhance(tb) {
    var i = tb.getAttribute("data-i");
    var cell = tb.rows[0].cells[0], hn = cell.querySelector(".hn");
    var det = tb.rows[1];
    var btn = el("button", "tog", [hn]);
    btn.type = "button";
    btn.setAttribute("aria-expanded", "false");
    btn.setAttribute("aria-controls", "d-" + i);
    btn.addEventListener("click", function () { setOpen(tb, det.hidden); });
    cell.insertBefore(btn, cell.firstChild);
    det.hidden = true;
  }
  function setOpen(tb, open) {
    var det = tb.rows[1], cell = det.cells[0];
    if (open && cell.getAttribute("data-lazy")) {
      cell.removeAttribute("data-lazy");
      cell.appendChild(detail(hosts[+tb.getAttribute("data-i")], tb.getAttribute("data-i")));
    }
    det.hidden = !open;
    tb.rows[0].cells[0].querySelector(".tog").setAttribute("aria-expanded", open ? "true" : "false");
  }
  function nodeFor(i) {
    if (!nodes[i]) { nodes[i] = build(i); }
    return nodes[i];
  }

  // ---- state, URL hash
  var state = {sort: null, dir: "asc", status: "", q: "", page: 0, open: false};
  var colKeys = columns.map(function (c) { return c[0]; });
  var statusSel = $("status"), qBox = $("q");
  function validFilter(v) {
    for (var j = 0; j < statusSel.options.length; j++) { if (statusSel.options[j].value === v) { return true; } }
    return false;
  }
  function readHash() {
    var s = {sort: null, dir: "asc", status: "", q: "", page: 0, open: false};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) { return; }
      var eq = part.indexOf("="), k = eq < 0 ? part : part.slice(0, eq), v = "";
      try { v = decodeURIComponent((eq < 0 ? "" : part.slice(eq + 1)).replace(/\+/g, " ")); } catch (e) { return; }
      if (k === "sort") {
        var bits = v.split(":");
        if (colKeys.indexOf(bits[0]) >= 0) { s.sort = bits[0]; s.dir = bits[1] === "desc" ? "desc" : "asc"; }
      } else if (k === "filter" && validFilter(v)) {
        s.status = v;
      } else if (k === "q") {
        s.q = v;
      } else if (k === "page" && /^[0-9]+$/.test(v)) {
        s.page = Math.max(0, parseInt(v, 10) - 1);
      } else if (k === "open") {
        s.open = v === "all";
      }
    });
    return s;
  }
  function writeHash() {
    var parts = [];
    if (state.sort) { parts.push("sort=" + state.sort + ":" + state.dir); }
    if (state.status) { parts.push("filter=" + encodeURIComponent(state.status)); }
    if (state.q) { parts.push("q=" + encodeURIComponent(state.q)); }
    if (state.page) { parts.push("page=" + (state.page + 1)); }
    var h = parts.length ? "#" + parts.join("&") : "";
    if (h !== location.hash) {
      try { history.replaceState(null, "", h || location.pathname + location.search); } catch (e) { /* file: URL in an old browser */ }
    }
  }

  // ---- filter, sort, page, draw
  function matches(r, terms) {
    if (state.status === "failing") { if (!r.failing) { return false; } }
    else if (state.status === "needs_action") { if (!r.acting) { return false; } }
    else if (state.status && r.status !== state.status) { return false; }
    for (var j = 0; j < terms.length; j++) { if (r.hay.indexOf(terms[j]) < 0) { return false; } }
    return true;
  }
  function compare(key, dir) {
    return function (a, b) {
      var x = a.k[key], y = b.k[key];
      var xn = x === null || x === "", yn = y === null || y === "";
      if (xn || yn) { return xn && yn ? a.i - b.i : (xn ? 1 : -1); }
      var c = x < y ? -1 : (x > y ? 1 : 0);
      if (c === 0) { return a.i - b.i; }
      return dir === "desc" ? -c : c;
    };
  }
  var fmt = function (n) { return n.toLocaleString("en-US"); };
  function draw() {
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var list = recs.filter(function (r) { return matches(r, terms); });
    if (state.sort) { list.sort(compare(state.sort, state.dir)); }
    var size = cfg.pageSize, pages = Math.max(1, Math.ceil(list.length / size));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.page * size, page = list.slice(start, start + size);
    Array.prototype.slice.call(table.tBodies).forEach(function (tb) { table.removeChild(tb); });
    var frag = d.createDocumentFragment();
    page.forEach(function (r) { var tb = nodeFor(r.i); frag.appendChild(tb); if (state.open) { setOpen(tb, true); } });
    if (!page.length) {
      var c = el("td", "muted", ["No host matches the filter."]);
      c.colSpan = columns.length;
      frag.appendChild(el("tbody", "empty", [el("tr", null, [c])]));
    }
    table.appendChild(frag);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key === state.sort ? (state.dir === "desc" ? "descending" : "ascending") : "none");
    });
    Array.prototype.forEach.call(d.querySelectorAll(".tile"), function (t) {
      t.classList.toggle("active", t.getAttribute("data-status") === state.status);
    });
    qBox.value = state.q;
    statusSel.value = state.status;
    var shown = list.length === recs.length ? fmt(recs.length) + " hosts" : fmt(list.length) + " of " + fmt(recs.length) + " hosts";
    $("shown").textContent = pages > 1 ? "Rows " + fmt(start + 1) + "\u2013" + fmt(start + page.length) + " of " + shown
                                       : "Showing " + shown;
    $("pager").hidden = pages <= 1;
    $("pageinfo").textContent = "Page " + fmt(state.page + 1) + " of " + fmt(pages);
    $("prev").disabled = state.page <= 0;
    $("next").disabled = state.page >= pages - 1;
    d.body.setAttribute("data-rows", String(page.length));
    d.body.setAttribute("data-matches", String(list.length));
    writeHash();
  }

  // ---- wiring
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var b = el("button", null, Array.prototype.slice.call(th.childNodes));
    b.type = "button";
    th.appendChild(b);
    b.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      if (state.sort === key) { state.dir = state.dir === "asc" ? "desc" : "asc"; }
      else { state.sort = key; state.dir = "asc"; }
      state.page = 0;
      draw();
    });
  });
  var timer = null;
  qBox.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = qBox.value; state.page = 0; draw(); }, recs.length > 5000 ? 200 : 0);
  });
  statusSel.addEventListener("change", function () { state.status = statusSel.value; state.page = 0; draw(); });
  Array.prototype.forEach.call(d.querySelectorAll(".tile"), function (t) {
    t.addEventListener("click", function (ev) {
      ev.preventDefault();
      var s = t.getAttribute("data-status");
      state.status = state.status === s ? "" : s;
      state.page = 0;
      draw();
    });
  });
  $("prev").addEventListener("click", function () { if (state.page > 0) { state.page -= 1; draw(); } });
  $("next").addEventListener("click", function () { state.page += 1; draw(); });
  $("expand").addEventListener("click", function () {
    var open = $("expand").getAttribute("aria-pressed") !== "true";
    $("expand").setAttribute("aria-pressed", open ? "true" : "false");
    $("expand").textContent = open ? "Collapse all" : "Expand all";
    Array.prototype.forEach.call(table.tBodies, function (tb) { if (tb.rows.length > 1) { setOpen(tb, open); } });
  });
  window.addEventListener("hashchange", function () { state = readHash(); draw(); });
  state = readHash();
  draw();
  d.body.setAttribute("data-ready", "1");
}());
"""


def _csp_hash(source):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; script-src %s; style-src %s; img-src data:; base-uri 'none'; form-action 'none'"
       % (_csp_hash(JS), _csp_hash(CSS)))


def esc(value):
    """Escaped text of any report value."""
    return html.escape(_HTML_ILLEGAL_RE.sub("", text(value)), quote=True)


def _linkify(value):
    """Escaped text with its http(s) URLs made links."""
    value = _HTML_ILLEGAL_RE.sub("", text(value))
    out = []
    pos = 0
    for match in _URL_RE.finditer(value):
        out.append(html.escape(value[pos:match.start()]))
        url = html.escape(match.group(0), quote=True)
        out.append('<a href="%s" rel="noopener noreferrer" target="_blank">%s</a>' % (url, url))
        pos = match.end()
    out.append(html.escape(value[pos:]))
    return "".join(out)


def _status_class(status):
    return "st-%s" % status if status in STATUSES else "st-other"


def _label(status):
    return STATUS_LABELS.get(status, text(status))


def _products(host):
    out = []
    for finding in host.get("findings") or []:
        name = text(finding.get("product") or finding.get("id"))
        if name not in out:
            out.append(name)
    return ", ".join(out)


def _json_for_script(value):
    """JSON text that is safe inside a <script> element: every '<' is written \\u003c."""
    return _script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=text))


def _script_safe(json_text):
    """JSON text with every '<' written \\u003c (outside strings JSON has no '<')."""
    return json_text.replace("<", "\\u003c")


FINDING_COLUMNS = ("Product", "Category", "Version", "Signatures", "Verdict", "Confidence", "Policy", "Evidence")
_NONE = '<p class="none">None</p>'


def _ul(items):
    return "<ul>%s</ul>" % "".join("<li>%s</li>" % esc(item) for item in items)


def _kv(pairs):
    out = ['<dl class="kv">']
    for pair in pairs:
        cls = ' class="%s"' % pair[2] if len(pair) > 2 and pair[2] else ""
        out.append("<dt>%s</dt><dd%s>%s</dd>" % (esc(pair[0]), cls, esc(pair[1])))
    out.append("</dl>")
    return "".join(out)


def _title(key):
    key = text(key).replace("_", " ")
    return key[:1].upper() + key[1:]


def _finding_row(finding):
    evidence = finding.get("evidence") or []
    if evidence:
        items = []
        for item in evidence:
            items.append("<li>%s</li>" % esc(evidence_item(item)))
        ev = '<ul class="ev">%s</ul>' % "".join(items)
    else:
        ev = '<span class="muted">none</span>'
    sub = "<code>%s</code>" % esc(finding.get("id"))
    if finding.get("vendor"):
        sub += " \u00b7 %s" % esc(finding.get("vendor"))
    if finding.get("installed") is False:
        sub += ' <span class="tag">residue only</span>'
    verdict = text(finding.get("verdict"))
    return "".join((
        "<tr>",
        '<td>%s<div class="muted">%s</div></td>' % (esc(finding.get("product") or finding.get("id")), sub),
        "<td>%s</td>" % esc(finding.get("category")),
        '<td class="mono">%s</td>' % (esc(finding.get("version")) or "\u2014"),
        '<td class="mono">%s</td>' % (esc(finding.get("signatures_date")) or "\u2014"),
        '<td><span class="vd vd-%s">%s</span></td>' % (re.sub("[^a-z_]", "", verdict), esc(verdict)),
        "<td>%s</td>" % esc(finding.get("confidence")),
        '<td class="nw">%s</td>' % (esc(finding.get("policy")) or "\u2014"),
        "<td>%s</td>" % ev,
        "</tr>",
    ))


def _detail(host):
    """The details of one host (same structure as detail() in the page script)."""
    reasons = host.get("reasons") or []
    findings = host.get("findings") or []
    protection = host.get("protection") or []
    waiver = host.get("waiver")
    remediation = host.get("remediation")

    if findings:
        head = "".join('<th scope="col">%s</th>' % c for c in FINDING_COLUMNS)
        findings_html = '<table class="sub"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
            head, "".join(_finding_row(f) for f in findings))
    else:
        findings_html = _NONE

    if protection:
        items = []
        for prod in protection:
            active = prod.get("active")
            bits = ["absent" if prod.get("present") is False else "present",
                    "active" if active is True else "inactive" if active is False else "activity unknown",
                    "approved" if prod.get("approved") else "not approved"]
            items.append('<li><strong>%s</strong> <span class="muted">(%s)</span>: %s</li>' % (
                esc(prod.get("product") or prod.get("id")), esc(prod.get("id")), esc(", ".join(bits))))
        protection_html = "<ul>%s</ul>" % "".join(items)
    else:
        protection_html = _NONE

    if waiver:
        expired = bool(waiver.get("expired"))
        waiver_html = _kv([("ID", waiver.get("id")), ("Owner", waiver.get("owner")), ("Ticket", waiver.get("ticket")),
                           ("Expires", text(waiver.get("expires")) + (" (expired)" if expired else ""),
                            "expired" if expired else None),
                           ("Reason", waiver.get("reason"))])
    else:
        waiver_html = _NONE

    if remediation:
        pairs = [("Outcome", remediation.get("outcome"))]
        lists = []
        for key, value in remediation.items():
            if isinstance(value, list):
                lists.append("<h4>%s</h4>%s" % (esc(_title(key)), _ul(value) if value else _NONE))
            elif key != "outcome":
                pairs.append((_title(key), value))
        remediation_html = _kv(pairs) + "".join(lists)
    else:
        remediation_html = _NONE

    errors = host.get("errors") or []
    errors_html = ""
    if errors:
        errors_html = '<section class="blk wide"><h3>Collection errors</h3>%s</section>' % _ul(
            "%s: %s" % (text(e.get("source")), text(e.get("message"))) if isinstance(e, dict) else e for e in errors)
    return "".join((
        '<div class="dgrid">',
        '<section class="blk"><h3>Reasons</h3>%s</section>' % (_ul(reasons) if reasons else _NONE),
        '<section class="blk"><h3>Protection</h3>%s</section>' % protection_html,
        '<section class="blk"><h3>Waiver</h3>%s</section>' % waiver_html,
        '<section class="blk"><h3>Remediation</h3>%s</section>' % remediation_html,
        errors_html,
        '<section class="blk wide"><h3>Findings</h3>%s</section>' % findings_html,
        "</div>",
    ))


def _host_rows(index, host):
    status = text(host.get("status"))
    severity = text(host.get("severity"))
    waiver = host.get("waiver") or None
    days_left = host.get("days_left")
    if waiver:
        waiver_cell = '<td%s>%s</td>' % (' class="expired"' if waiver.get("expired") else "",
                                         esc(text(waiver.get("expires")) + (" (expired)" if waiver.get("expired") else "")))
    else:
        waiver_cell = "<td></td>"
    return "".join((
        '<tbody class="host" data-i="%d" data-status="%s">' % (index, esc(status)),
        '<tr class="row">',
        '<td class="c-name"><span class="hn">%s</span></td>' % esc(host.get("name")),
        '<td><span class="pill %s">%s</span></td>' % (_status_class(status), esc(_label(status))),
        '<td class="sev sev-%s">%s</td>' % (re.sub("[^a-z]", "", severity), esc(severity) or "\u2014"),
        "<td>%s</td>" % esc(host.get("platform")),
        '<td class="c-prod">%s</td>' % (esc(_products(host)) or "\u2014"),
        '<td class="num">%d</td>' % len(host.get("findings") or []),
        '<td class="num">%s</td>' % (esc(days_left) if isinstance(days_left, int) and not isinstance(days_left, bool) else ""),
        waiver_cell,
        '<td class="muted mono c-time">%s</td>' % esc(host.get("collected_at")),
        "</tr>",
        '<tr class="detail" id="d-%d"><td colspan="%d">%s</td></tr>' % (index, len(COLUMNS), _detail(host)),
        "</tbody>",
    ))


def _evidence_text(hosts, selection):
    """``{index: [[line, ...] per finding]}``: the evidence text of the hosts whose rows the page
    script builds (those not rendered here), so that both read the same."""
    rendered = set(selection)
    return dict((str(i), [[evidence_item(e) for e in f.get("evidence") or []] for f in host.get("findings") or []])
                for i, host in enumerate(hosts) if i not in rendered and host.get("findings"))


def _static_selection(hosts, static_limit):
    """Indexes of the hosts rendered server-side: all of them, or the first ``static_limit``
    with the hosts needing action first (linear: two passes, no sort)."""
    if static_limit is None or len(hosts) <= static_limit:
        return list(range(len(hosts)))
    chosen = [i for i, h in enumerate(hosts) if needs_action(h.get("status"))][:static_limit]
    if len(chosen) < static_limit:
        taken = set(chosen)
        chosen += [i for i in range(len(hosts)) if i not in taken][:static_limit - len(chosen)]
    return chosen


def _meta(run, report):
    items = [
        ("Catalogue", run.get("catalog_version")),
        ("Policy", run.get("policy_version")),
        ("As of", run.get("as_of")),
        ("AWX job", run.get("awx_job_id")),
        ("Job template", run.get("awx_job_template")),
        ("Play", run.get("play")),
        ("Check mode", "yes" if run.get("check_mode") else None),
        ("User", run.get("user")),
        ("Collection", run.get("collection_version")),
        ("ansible-core", run.get("ansible_version")),
    ]
    if run.get("slices"):
        items.append(("Slices", str(len(run["slices"]))))
    return "".join("<div><dt>%s</dt><dd>%s</dd></div>" % (esc(k), esc(v)) for k, v in items
                   if v is not None and v != "")


def _policies(policies):
    if not policies:
        return ""
    rows = []
    for policy in policies:
        if not isinstance(policy, dict):
            continue
        sources = policy.get("sources") or []
        rows.append("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            esc(policy.get("id")), esc(policy.get("title")), esc(policy.get("enforcement_date")),
            esc(policy.get("grace_days")), esc(policy.get("severity")), esc(policy.get("action")),
            "<ul>%s</ul>" % "".join("<li>%s</li>" % _linkify(s) for s in sources) if sources else ""))
    head = "".join('<th scope="col">%s</th>' % c for c in
                   ("ID", "Title", "Enforced from", "Grace days", "Severity", "Action", "Sources"))
    return ('<section aria-labelledby="h-policies"><h2 id="h-policies">Policies</h2>'
            '<div class="tablewrap"><table class="policies"><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>'
            '</section>' % (head, "".join(rows)))


def render(report, static_limit=STATIC_LIMIT, page_size=PAGE_SIZE, report_json=None):
    """The dashboard as UTF-8 bytes.

    ``report_json``: the report already encoded as JSON text (the JSON report file's text, see
    ``writer.write_reports``), embedded as the dashboard's data instead of encoding the report a
    second time (1.4 s of the dashboard's 2.6 s at 100,000 hosts).  It must be the JSON of
    ``report``, with its ``sha256``.
    """
    hosts = report.get("hosts") or []
    run = report.get("run") or {}
    total = len(hosts)
    by_status = dict((s, 0) for s in STATUSES)
    for host in hosts:
        status = text(host.get("status"))
        by_status[status] = by_status.get(status, 0) + 1
    acting = sum(1 for h in hosts if needs_action(h.get("status")))
    failing = sum(1 for h in hosts if is_failing(h.get("status")))
    generated = text(report.get("generated_at"))
    sha = text(report.get("sha256"))
    if not sha:
        sha = json_report.digest(report)

    if not total:
        verdict, vclass = "No hosts in this report", "act"
    elif acting:
        verdict = "%s of %s host%s need%s action" % (format(acting, ","), format(total, ","), "" if total == 1 else "s",
                                                     "s" if acting == 1 else "")
        vclass = "fail" if failing else "act"
    else:
        verdict, vclass = "All %s hosts compliant" % format(total, ","), ""
    detail = "%s failing" % format(failing, ",") if acting else "nothing to do"

    # tiles: every known status, most severe first, plus any unknown one
    tile_statuses = list(STATUS_ORDER) + sorted(s for s in by_status if s not in STATUSES)
    tiles = []
    for status in tile_statuses:
        count = by_status.get(status, 0)
        classes = ["tile", _status_class(status)]
        if not count:
            classes.append("zero")
        if is_failing(status):
            classes.append("failing")
        tiles.append('<li><a class="%s" href="#filter=%s" data-status="%s" aria-label="%s: %d host%s">'
                     '<span class="n">%s</span><span class="l">%s</span></a></li>' % (
                         " ".join(classes), esc(status), esc(status), esc(_label(status)), count,
                         "" if count == 1 else "s", format(count, ","), esc(_label(status))))

    options = ['<option value="">All statuses (%s)</option>' % format(total, ","),
               '<option value="needs_action">Needs action (%s)</option>' % format(acting, ","),
               '<option value="failing">Failing (%s)</option>' % format(failing, ",")]
    for status in tile_statuses:
        options.append('<option value="%s">%s (%s)</option>' % (
            esc(status), esc(_label(status)), format(by_status.get(status, 0), ",")))

    head = "".join('<th scope="col" data-key="%s"%s>%s</th>' % (key, ' class="num"' if key in NUMERIC_COLUMNS else "", esc(label))
                   for key, label in COLUMNS)
    selection = _static_selection(hosts, static_limit)
    partial = len(selection) < total
    body = "".join(_host_rows(i, hosts[i]) for i in selection)

    config = {
        "columns": [list(c) for c in COLUMNS],
        "statusOrder": list(STATUS_ORDER),
        "unrecognisedRank": status_rank("\x00unrecognised"),
        "severities": list(SEVERITIES),
        "failing": sorted(FAILING),
        "needsAction": sorted(NEEDS_ACTION),
        "labels": STATUS_LABELS,
        "pageSize": int(page_size),
        "findingColumns": list(FINDING_COLUMNS),
        "partial": partial,
    }
    notice = ""
    if partial:
        notice = ('<noscript><p class="note">This report has %s hosts. Without JavaScript only %s of them are listed, '
                  'those needing action first. Enable JavaScript to see and filter every host, or use the CSV or '
                  'JSON report.</p></noscript>' % (format(total, ","), format(len(selection), ",")))

    title = "Banned anti-virus compliance report"
    page = [
        "<!DOCTYPE html>",
        '<html lang="en" class="no-js">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP,
        '<meta name="referrer" content="no-referrer">',
        '<meta name="generator" content="fleetsec.banned_av %s">' % esc(run.get("collection_version")),
        "<title>%s \u2014 %s</title>" % (title, esc(generated)),
        "<style>%s</style>" % CSS,
        "</head>",
        "<body>",
        '<header class="top">',
        "<h1>%s</h1>" % title,
        '<p class="sub">Generated <time datetime="%s">%s</time>%s</p>' % (
            esc(generated), esc(generated), " \u00b7 as of %s" % esc(run.get("as_of")) if run.get("as_of") else ""),
        '<dl class="meta">%s</dl>' % _meta(run, report),
        "</header>",
        "<main>",
        '<section aria-labelledby="h-summary">',
        '<h2 id="h-summary" class="sr-only">Summary</h2>',
        '<p class="verdict %s" id="verdict">%s <span class="small">%s \u00b7 %s host%s</span></p>' % (
            vclass, esc(verdict), esc(detail), format(total, ","), "" if total == 1 else "s"),
        '<ul class="tiles" aria-label="Hosts by status">%s</ul>' % "".join(tiles),
        "</section>",
        '<section aria-labelledby="h-hosts">',
        '<h2 id="h-hosts">Hosts</h2>',
        notice,
        '<div class="controls nojs-hide" role="search">',
        '<div><label for="q">Filter</label><input id="q" type="search" autocomplete="off" '
        'placeholder="Host, product, reason, ticket\u2026"></div>',
        '<div><label for="status">Status</label><select id="status">%s</select></div>' % "".join(options),
        '<div><button type="button" class="btn" id="expand" aria-pressed="false">Expand all</button></div>',
        '<div id="shown" aria-live="polite"></div>',
        "</div>",
        '<div class="tablewrap">',
        '<table class="hosts" id="hosts">',
        '<caption class="sr-only">Hosts and their compliance status; select a host name to show its details</caption>',
        "<thead><tr>%s</tr></thead>" % head,
        body,
        "</table>",
        "</div>",
        '<nav id="pager" aria-label="Pages" hidden><button type="button" class="btn" id="prev">Previous</button>'
        '<span id="pageinfo"></span><button type="button" class="btn" id="next">Next</button></nav>',
        "</section>",
        _policies(report.get("policies")),
        "</main>",
        "<footer>",
        "<p>fleetsec.banned_av%s \u00b7 report SHA-256 <code>%s</code> \u00b7 schema %s</p>" % (
            " " + esc(run.get("collection_version")) if run.get("collection_version") else "", esc(sha),
            esc(report.get("schema"))),
        "</footer>",
        '<script type="application/json" id="report-data">%s</script>' % (
            _json_for_script(report) if report_json is None else _script_safe(report_json)),
        '<script type="application/json" id="report-config">%s</script>' % _json_for_script(config),
        '<script type="application/json" id="report-evidence">%s</script>' % _json_for_script(_evidence_text(hosts, selection)),
        "<script>%s</script>" % JS,
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(page).encode("utf-8", "replace")
