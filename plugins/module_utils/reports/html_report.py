# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetsec.banned_av contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML dashboard: one self-contained HTML5 page, from one template (``PAGE``).

Self-contained and safe
-----------------------
* No external asset: CSS and vanilla JavaScript are inline; system fonts only.  A
  ``Content-Security-Policy`` meta tag (``default-src 'none'``) lets the page load nothing
  from anywhere and run only its own inline script and style (allowed by their SHA-256), so
  even a mistake in escaping could not run injected script or leak data to a server.
* ``PAGE`` is the page's markup with ``{{slot}}`` markers; every slot is filled with markup
  built here, in which every value from the fleet is escaped with ``html.escape`` (characters
  HTML does not allow are removed).  The hosts are embedded as JSON (a compact view, below) in
  ``<script type="application/json" id="report-view">`` with every ``<`` written ``\\u003c``
  (so ``</script>`` and ``<!--`` in a host name cannot end the element).  The script builds DOM
  nodes with ``textContent``, never ``innerHTML``.
* Evidence is shown as ``common.evidence_item`` (``evidence.describe``) renders it: the server
  writes that text into the rows it renders, and into the view's findings (``ev``) for the rows
  the script builds.
* With a trend (``report['trend']``, ``trend.py``), a section after the status tiles lists the
  changes since the previous report and draws two inline SVG charts (``trend_chart.py``).

Reading without JavaScript
--------------------------
Header, status tiles, the host table and a details row per host (reasons, findings with
their evidence, protection, waiver, remediation, collection errors and detection warnings)
are rendered here, on the server.  The script only adds sorting (click a column header;
status sorts most severe first), the text filter and the status filter, collapsible details
and paging.

Large fleets
------------
Up to ``static_limit`` hosts (2,000) every host is rendered server-side.  Above it no host row
is (a ``<noscript>`` note says so): the script builds the rows of the page shown, ``page_size``
(500) per page, and a host's details when they are opened, from the compact view
(``_write_view``): each host's name, collection time and an index into the distinct host records
without those two, whose findings index the distinct findings.  At 100,000 hosts of the benchmark
fleet the page is 5.4 MB and shows its first page of hosts in well under a second
(docs/performance.md); the JSON report, which the page embedded before, is 117 MB.

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
import io
import json
import re

from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports import json_report, trend as trend_mod, trend_chart
from ansible_collections.fleetsec.banned_av.plugins.module_utils.reports.common import (
    FAILING,
    NEEDS_ACTION,
    SEVERITIES,
    STATUS_LABELS,
    STATUS_ORDER,
    STATUSES,
    counted,
    evidence_item,
    host_messages,
    is_failing,
    mixed,
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
FINDING_COLUMNS = ("Product", "Category", "Version", "Signatures", "Verdict", "Confidence", "Policy", "Evidence")

_HTML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_URL_RE = re.compile(r"https?://[^\s\"'<>]+[^\s\"'<>.,;:)]")
_SLOT_RE = re.compile(r"\{\{(\w+)\}\}")

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
.trend{display:grid;grid-template-columns:minmax(0,1fr) minmax(260px,420px);gap:14px 24px;align-items:start}
.trend figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;overflow-x:auto}
.trend figcaption{font-size:12px;color:var(--muted);margin:0 0 6px}
.trend svg{display:block;max-width:100%;height:auto}
table.changes{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);font-size:13px}
table.changes th,table.changes td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--soft);vertical-align:top}
table.changes th{background:#eef1f4}
table.changes ul{margin:0;padding-left:16px;max-height:9.5em;overflow-y:auto}
table.changes li{overflow-wrap:anywhere}
.up{color:#cf222e}
.down{color:#1a7f37}
@media (max-width:900px){.trend{grid-template-columns:1fr}}
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
  // compact view of the report (see _write_view): per host its name, collection time and profile;
  // a profile is everything else of a host record, shared by the hosts that have the same
  var view = JSON.parse($("report-view").textContent);
  var cfg = JSON.parse($("report-config").textContent);
  var names = view.names, collected = view.collected, profileOf = view.profile, F = view.findings;
  var count = names.length;
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
  // the host record of index i, as the JSON report has it (findings with their evidence text)
  function hostAt(i) {
    var p = view.profiles[profileOf[i]], h = {};
    Object.keys(p).forEach(function (k) { h[k] = p[k]; });
    h.name = names[i];
    h.collected_at = collected[i];
    h.findings = (p.findings || []).map(function (j) { return F[j]; });
    return h;
  }

  // sort and search keys: once per profile (the search text only when a filter is first used)
  var profiles = view.profiles.map(function (p) {
    var h = {findings: (p.findings || []).map(function (j) { return F[j]; })};
    var status = str(p.status), w = p.waiver || null;
    return {
      p: p, h: h, hay: null, status: status,
      failing: isFailing[status] === true || !known(status),
      acting: isActing[status] === true || !known(status),
      k: {
        status: known(status) ? statusRank[status] : cfg.unrecognisedRank,
        severity: Object.prototype.hasOwnProperty.call(sevRank, p.severity) ? sevRank[p.severity] : null,
        platform: str(p.platform).toLowerCase(),
        products: productsOf(h).toLowerCase(),
        findings: h.findings.length,
        days_left: typeof p.days_left === "number" ? p.days_left : null,
        waiver: w && w.expires ? str(w.expires) : null
      }
    };
  });
  function hayOf(q) {
    if (q.hay === null) {
      var p = q.p, f = q.h.findings, w = p.waiver || null;
      q.hay = [q.status, label(q.status), p.severity, p.platform, productsOf(q.h),
               f.map(function (x) { return str(x.id) + " " + str(x.vendor) + " " + str(x.version); }).join(" "),
               (p.reasons || []).map(str).join(" "),
               w ? [w.id, w.ticket, w.owner].map(str).join(" ") : ""].map(str).join("\n").toLowerCase();
    }
    return q.hay;
  }
  var lowerNames = null;
  function lowerName(i) {
    if (lowerNames === null) { lowerNames = names.map(function (n) { return str(n).toLowerCase(); }); }
    return lowerNames[i];
  }
  var recs = new Array(count);
  for (var n = 0; n < count; n++) { recs[n] = {i: n, q: profiles[profileOf[n]]}; }
  function keyOf(r, key) {
    if (key === "name") { return lowerName(r.i); }
    if (key === "collected") { return str(collected[r.i]); }
    return r.q.k[key];
  }

  // ---- rows: server-rendered ones are reused, the others are built from the JSON
  var nodes = {};
  Array.prototype.forEach.call(table.tBodies, function (tb) {
    if (tb.hasAttribute("data-i")) { nodes[tb.getAttribute("data-i")] = tb; enhance(tb); }
  });

  function plural(n, noun) { return fmt(n) + " " + (n === 1 ? noun : noun + "s"); }
  // evidence is shown as the text the server wrote for it (the view's findings), never rebuilt here
  function finding(f, texts) {
    var ev = el("ul", "ev");
    texts.forEach(function (t) { ev.appendChild(el("li", null, [t])); });
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
      el("td", null, [texts.length ? ev : el("span", "muted", ["none"])])
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
  function messages(list) {
    return (list || []).map(function (e) {
      return e && typeof e === "object" && !Array.isArray(e) ? (e.source ? str(e.source) + ": " : "") + str(e.message) : str(e);
    });
  }
  function detail(h) {
    var f = h.findings || [], p = h.protection || [], w = h.waiver, r = h.remediation;
    var reasons = (h.reasons || []).length ? ul(h.reasons) : none();
    var ft = none();
    if (f.length) {
      var head = el("tr", null, cfg.findingColumns.map(function (c) { var th = el("th", null, [c]); th.setAttribute("scope", "col"); return th; }));
      ft = el("table", "sub", [el("thead", null, [head]), el("tbody", null, f.map(function (x) { return finding(x, x.ev || []); }))]);
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
    var errs = messages(h.errors), warns = messages(h.warnings);
    return el("div", "dgrid", [
      block("Reasons", [reasons], false),
      block("Protection", [pt], false),
      block("Waiver", [wt], false),
      block("Remediation", rt, false),
      errs.length ? block("Collection errors", [ul(errs)], true) : null,
      warns.length ? block("Detection warnings", [ul(warns)], true) : null,
      block("Findings", [ft], true)
    ]);
  }
  function build(i) {
    var h = hostAt(i), status = str(h.status), w = h.waiver;
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
      cell.appendChild(detail(hostAt(+tb.getAttribute("data-i"))));
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
  var inTrend = {};  // "trend:<list>": {host index: true}
  Object.keys(view.trend || {}).forEach(function (key) {
    var set = inTrend["trend:" + key] = {};
    view.trend[key].forEach(function (i) { set[i] = true; });
  });
  function matches(r, terms) {
    var q = r.q;
    if (inTrend[state.status]) { if (!inTrend[state.status][r.i]) { return false; } }
    else if (state.status === "failing") { if (!q.failing) { return false; } }
    else if (state.status === "needs_action") { if (!q.acting) { return false; } }
    else if (state.status && q.status !== state.status) { return false; }
    for (var j = 0; j < terms.length; j++) {
      if (lowerName(r.i).indexOf(terms[j]) < 0 && hayOf(q).indexOf(terms[j]) < 0) { return false; }
    }
    return true;
  }
  function compare(key, dir) {
    return function (a, b) {
      var x = keyOf(a, key), y = keyOf(b, key);
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
    var shown = list.length === recs.length ? plural(recs.length, "host") : fmt(list.length) + " of " + plural(recs.length, "host");
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
  d.body.setAttribute("data-ready-ms", String(Math.round(window.performance ? performance.now() : 0)));
  d.body.setAttribute("data-ready", "1");
}());
"""


def _csp_hash(source):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


CSP = ("default-src 'none'; script-src %s; style-src %s; img-src data:; base-uri 'none'; form-action 'none'"
       % (_csp_hash(JS), _csp_hash(CSS)))

PAGE = """<!DOCTYPE html>
<html lang="en" class="no-js">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{csp}}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="fleetsec.banned_av {{version}}">
<title>Banned anti-virus compliance report \u2014 {{generated}}</title>
<style>{{css}}</style>
</head>
<body>
<header class="top">
<h1>Banned anti-virus compliance report</h1>
<p class="sub">Generated <time datetime="{{generated}}">{{generated}}</time>{{as_of}}</p>
<dl class="meta">{{meta}}</dl>
</header>
<main>
<section aria-labelledby="h-summary">
<h2 id="h-summary" class="sr-only">Summary</h2>
<p class="verdict {{verdict_class}}" id="verdict">{{verdict}} <span class="small">{{verdict_detail}}</span></p>
{{mixed}}
<ul class="tiles" aria-label="Hosts by status">{{tiles}}</ul>
</section>
{{trend}}
<section aria-labelledby="h-hosts">
<h2 id="h-hosts">Hosts</h2>
{{partial}}
<div class="controls nojs-hide" role="search">
<div><label for="q">Filter</label><input id="q" type="search" autocomplete="off" placeholder="Host, product, reason, ticket\u2026"></div>
<div><label for="status">Status</label><select id="status">{{options}}</select></div>
<div><button type="button" class="btn" id="expand" aria-pressed="false">Expand all</button></div>
<div id="shown" aria-live="polite"></div>
</div>
<div class="tablewrap">
<table class="hosts" id="hosts">
<caption class="sr-only">Hosts and their compliance status; select a host name to show its details</caption>
<thead><tr>{{head}}</tr></thead>
{{rows}}
</table>
</div>
<nav id="pager" aria-label="Pages" hidden><button type="button" class="btn" id="prev">Previous</button>\
<span id="pageinfo"></span><button type="button" class="btn" id="next">Next</button></nav>
</section>
{{policies}}
</main>
<footer>
<p>fleetsec.banned_av{{footer_version}} \u00b7 report SHA-256 <code>{{sha}}</code> \u00b7 schema {{schema}}</p>
</footer>
<script type="application/json" id="report-view">{{view}}</script>
<script type="application/json" id="report-config">{{config}}</script>
<script>{{js}}</script>
</body>
</html>
"""
_NONE = '<p class="none">None</p>'


def _script_safe(json_text):
    """JSON text with every '<' written \\u003c (outside strings JSON has no '<'), so that it
    cannot end the <script> element it is embedded in."""
    return json_text.replace("<", "\\u003c")


class _ScriptSafe(object):
    """A text stream that writes JSON through ``_script_safe``."""

    def __init__(self, out):
        self.out = out

    def write(self, data):
        self.out.write(_script_safe(data))


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


def _ul(items):
    return "<ul>%s</ul>" % "".join("<li>%s</li>" % esc(item) for item in items)


def _kv(pairs):
    items = "".join("<dt>%s</dt><dd%s>%s</dd>" % (esc(p[0]), ' class="%s"' % p[2] if len(p) > 2 and p[2] else "",
                                                  esc(p[1])) for p in pairs)
    return '<dl class="kv">%s</dl>' % items


def _title(key):
    key = text(key).replace("_", " ")
    return key[:1].upper() + key[1:]


def _evidence(finding):
    """The display text of each evidence item of a finding (``common.evidence_item``)."""
    return [evidence_item(item) for item in finding.get("evidence") or []]


def _finding_row(finding):
    texts = _evidence(finding)
    ev = '<ul class="ev">%s</ul>' % "".join("<li>%s</li>" % esc(t) for t in texts) if texts else '<span class="muted">none</span>'
    sub = "<code>%s</code>" % esc(finding.get("id"))
    if finding.get("vendor"):
        sub += " \u00b7 %s" % esc(finding.get("vendor"))
    if finding.get("installed") is False:
        sub += ' <span class="tag">residue only</span>'
    verdict = text(finding.get("verdict"))
    return ('<tr><td>%s<div class="muted">%s</div></td><td>%s</td><td class="mono">%s</td><td class="mono">%s</td>'
            '<td><span class="vd vd-%s">%s</span></td><td>%s</td><td class="nw">%s</td><td>%s</td></tr>' % (
                esc(finding.get("product") or finding.get("id")), sub, esc(finding.get("category")),
                esc(finding.get("version")) or "\u2014", esc(finding.get("signatures_date")) or "\u2014",
                re.sub("[^a-z_]", "", verdict), esc(verdict), esc(finding.get("confidence")),
                esc(finding.get("policy")) or "\u2014", ev))


def _protection(protection):
    items = []
    for prod in protection:
        active = prod.get("active")
        bits = ["absent" if prod.get("present") is False else "present",
                "active" if active is True else "inactive" if active is False else "activity unknown",
                "approved" if prod.get("approved") else "not approved"]
        items.append('<li><strong>%s</strong> <span class="muted">(%s)</span>: %s</li>' % (
            esc(prod.get("product") or prod.get("id")), esc(prod.get("id")), esc(", ".join(bits))))
    return "<ul>%s</ul>" % "".join(items) if items else _NONE


def _waiver(waiver):
    if not waiver:
        return _NONE
    expired = bool(waiver.get("expired"))
    return _kv([("ID", waiver.get("id")), ("Owner", waiver.get("owner")), ("Ticket", waiver.get("ticket")),
                ("Expires", text(waiver.get("expires")) + (" (expired)" if expired else ""), "expired" if expired else None),
                ("Reason", waiver.get("reason"))])


def _remediation(remediation):
    if not remediation:
        return _NONE
    pairs = [("Outcome", remediation.get("outcome"))]
    lists = []
    for key, value in sorted(remediation.items(), key=lambda kv: text(kv[0])):  # the embedded JSON's key order
        if isinstance(value, list):
            lists.append("<h4>%s</h4>%s" % (esc(_title(key)), _ul(value) if value else _NONE))
        elif key != "outcome":
            pairs.append((_title(key), value))
    return _kv(pairs) + "".join(lists)


def _detail(host):
    """The details of one host (same structure as detail() in the page script)."""
    findings = host.get("findings") or []
    reasons = host.get("reasons") or []
    findings_html = _NONE
    if findings:
        findings_html = '<table class="sub"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
            "".join('<th scope="col">%s</th>' % c for c in FINDING_COLUMNS), "".join(_finding_row(f) for f in findings))
    wide = "".join('<section class="blk wide"><h3>%s</h3>%s</section>' % (title, _ul(items))
                   for title, items in (("Collection errors", host_messages(host, "errors")),
                                        ("Detection warnings", host_messages(host, "warnings"))) if items)
    return "".join((
        '<div class="dgrid">',
        '<section class="blk"><h3>Reasons</h3>%s</section>' % (_ul(reasons) if reasons else _NONE),
        '<section class="blk"><h3>Protection</h3>%s</section>' % _protection(host.get("protection") or []),
        '<section class="blk"><h3>Waiver</h3>%s</section>' % _waiver(host.get("waiver")),
        '<section class="blk"><h3>Remediation</h3>%s</section>' % _remediation(host.get("remediation")),
        wide,
        '<section class="blk wide"><h3>Findings</h3>%s</section>' % findings_html,
        "</div>",
    ))


def _host_rows(index, host):
    status = text(host.get("status"))
    severity = text(host.get("severity"))
    waiver = host.get("waiver") or None
    days_left = host.get("days_left")
    waiver_cell = "<td></td>"
    if waiver:
        waiver_cell = '<td%s>%s</td>' % (' class="expired"' if waiver.get("expired") else "",
                                         esc(text(waiver.get("expires")) + (" (expired)" if waiver.get("expired") else "")))
    return "".join((
        '<tbody class="host" data-i="%d" data-status="%s"><tr class="row">' % (index, esc(status)),
        '<td class="c-name"><span class="hn">%s</span></td>' % esc(host.get("name")),
        '<td><span class="pill %s">%s</span></td>' % (_status_class(status), esc(_label(status))),
        '<td class="sev sev-%s">%s</td>' % (re.sub("[^a-z]", "", severity), esc(severity) or "\u2014"),
        "<td>%s</td>" % esc(host.get("platform")),
        '<td class="c-prod">%s</td>' % (esc(_products(host)) or "\u2014"),
        '<td class="num">%d</td>' % len(host.get("findings") or []),
        '<td class="num">%s</td>' % (esc(days_left) if isinstance(days_left, int) and not isinstance(days_left, bool) else ""),
        waiver_cell,
        '<td class="muted mono c-time">%s</td>' % esc(host.get("collected_at")),
        '</tr><tr class="detail" id="d-%d"><td colspan="%d">%s</td></tr></tbody>' % (index, len(COLUMNS), _detail(host)),
    ))


def _static_selection(hosts, static_limit):
    """Indexes of the hosts rendered here: every host up to ``static_limit``, else none (the page
    script builds the rows of a larger fleet from the view, a page at a time)."""
    if static_limit is None or len(hosts) <= static_limit:
        return list(range(len(hosts)))
    return []


def _meta(report):
    run = report.get("run") or {}
    items = [("Catalogue", run.get("catalog_version")), ("Policy", run.get("policy_version")), ("As of", run.get("as_of")),
             ("AWX job", run.get("awx_job_id")), ("Job template", run.get("awx_job_template")), ("Play", run.get("play")),
             ("Check mode", "yes" if run.get("check_mode") else None), ("User", run.get("user")),
             ("Collection", run.get("collection_version")), ("ansible-core", run.get("ansible_version"))]
    if run.get("slices"):
        items.append(("Slices", str(len(run["slices"]))))
    return "".join("<div><dt>%s</dt><dd>%s</dd></div>" % (esc(k), esc(v)) for k, v in items if v is not None and v != "")


def _mixed(report):
    conflicts = mixed(report)
    if not conflicts:
        return ""
    items = "".join("<li>%s: %s</li>" % (esc(field), esc(", ".join(text(v) for v in values)))
                    for field, values in sorted(conflicts.items()))
    return ('<div class="note" id="mixed"><strong>This report merges slices that were not judged alike</strong>; '
            'each host was judged by its own slice:<ul>%s</ul></div>' % items)


def _policies(policies):
    rows = []
    for policy in policies or []:
        if isinstance(policy, dict):
            sources = policy.get("sources") or []
            rows.append("<tr><td><code>%s</code></td>%s<td>%s</td></tr>" % (
                esc(policy.get("id")), "".join("<td>%s</td>" % esc(policy.get(k)) for k in (
                    "title", "enforcement_date", "grace_days", "severity", "action")),
                "<ul>%s</ul>" % "".join("<li>%s</li>" % _linkify(s) for s in sources) if sources else ""))
    if not rows:
        return ""
    titles = ("ID", "Title", "Enforced from", "Grace days", "Severity", "Action", "Sources")
    head = "".join('<th scope="col">%s</th>' % c for c in titles)
    return ('<section aria-labelledby="h-policies"><h2 id="h-policies">Policies</h2>'
            '<div class="tablewrap"><table class="policies"><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>'
            '</section>' % (head, "".join(rows)))


TREND_LISTS = (("fixed", "Fixed", "failing then, not now"), ("new_failing", "Newly failing", "not failing then"),
               ("still_failing", "Still failing", "failing then and now"), ("new_hosts", "New hosts", "not in the previous report"),
               ("gone_hosts", "Gone hosts", "only in the previous report, no longer in the inventory"),
               ("not_audited", "Not audited", "in the previous report and the inventory, not selected for this run"))
TREND_NAMES = 200  # host names listed per change; the counts are always complete


def _trend_lists(trend):
    rows = []
    for key, title, meaning in TREND_LISTS:
        names = trend.get(key) or []
        if key == "not_audited" and not names:
            continue  # a run of every host of the previous report (no --limit)
        more = '<li class="muted">\u2026and %s more (JSON report: <code>trend.%s</code>)</li>' % (
            format(len(names) - TREND_NAMES, ","), key) if len(names) > TREND_NAMES else ""
        listed = "<ul>%s%s</ul>" % ("".join("<li>%s</li>" % esc(n) for n in names[:TREND_NAMES]), more) if names else ""
        count = format(len(names), ",")
        if names and key in TREND_FILTERS:  # these hosts are in the table: the count filters it
            count = '<a href="#filter=trend:%s">%s</a>' % (key, count)
        rows.append('<tr id="trend-%s" data-count="%d"><th scope="row">%s<div class="muted small">%s</div></th>'
                    '<td class="num">%s</td><td>%s</td></tr>' % (
                        key, len(names), title, meaning, count, listed or '<span class="muted">none</span>'))
    return ('<table class="changes" id="trend-changes"><thead><tr><th scope="col">Change</th><th scope="col" class="num">Hosts</th>'
            '<th scope="col">Names</th></tr></thead><tbody>%s</tbody></table>' % "".join(rows))


def _trend_counts(trend):
    rows = []
    for status, then, now in trend_mod.status_changes(trend):
        delta = now - then
        worse = is_failing(status) and delta > 0 or not is_failing(status) and delta < 0
        rows.append('<tr data-status="%s"><td><span class="pill %s">%s</span></td><td class="num">%s</td><td class="num">%s</td>'
                    '<td class="num %s">%+d</td></tr>' % (esc(status), _status_class(status), esc(_label(status)),
                                                          format(then, ","), format(now, ","),
                                                          "up" if worse else "down" if delta else "", delta))
    return ('<table class="changes" id="trend-counts"><thead><tr><th scope="col">Status</th><th scope="col" class="num">Then</th>'
            '<th scope="col" class="num">Now</th><th scope="col" class="num">Change</th></tr></thead><tbody>%s</tbody></table>'
            % "".join(rows))


#: the trend's lists whose hosts are in this report: the host table filters on them
TREND_FILTERS = ("fixed", "new_failing", "still_failing", "new_hosts")


def _trend_lists_of(report):
    trend = report.get("trend")
    if not isinstance(trend, dict):
        return {}
    return dict((key, [n for n in trend.get(key) or [] if isinstance(n, str)]) for key in TREND_FILTERS)


def _trend_options(report):
    """Options of the status filter for the trend's lists (``#filter=trend:fixed``)."""
    titles = dict((key, title) for key, title, _meaning in TREND_LISTS)
    return "".join('<option value="trend:%s">%s since the previous report (%s)</option>' % (
        key, titles[key], format(len(names), ",")) for key, names in sorted(
            _trend_lists_of(report).items(), key=lambda kv: TREND_FILTERS.index(kv[0])))


def _trend(report):
    """The trend section: what changed since the previous report, the status counts over the known
    reports and the days left to each deadline (inline SVG), with the same numbers as tables."""
    trend = report.get("trend")
    if not isinstance(trend, dict):
        return ""
    previous = trend.get("previous") or {}
    now = {"generated_at": report.get("generated_at"), "by_status": (trend.get("counts") or {}).get("now") or {}}
    points = [p for p in trend.get("history") or [] if isinstance(p, dict)] + [now]
    deadlines = trend_mod.deadlines(report)
    deadline_figure = ""
    if deadlines:
        deadline_figure = ('<figure><figcaption>Days left to each deadline of the policies that apply to these hosts '
                           '(as of %s)</figcaption>%s</figure>' % (esc((report.get("run") or {}).get("as_of")),
                                                                   trend_chart.deadline_chart(deadlines)))
    return "".join((
        '<section aria-labelledby="h-trend" id="trend"><h2 id="h-trend">Since the previous report</h2>',
        '<p class="muted" id="trend-previous">Previous report generated <time>%s</time>%s, %s, SHA-256 <code>%s</code></p>' % (
            esc(previous.get("generated_at")), " \u00b7 as of %s" % esc(previous.get("as_of")) if previous.get("as_of") else "",
            counted(previous.get("hosts") or 0, "host"), esc(previous.get("sha256"))),
        '<div class="trend"><div>',
        '<figure><figcaption>Hosts by status over the last %s</figcaption>%s</figure>' % (
            counted(len(points), "report"), trend_chart.status_chart(points)),
        deadline_figure, '</div><div>', _trend_lists(trend), "<p></p>", _trend_counts(trend), "</div></div></section>",
    ))


def _tiles_and_options(hosts):
    by_status = dict((s, 0) for s in STATUSES)
    for host in hosts:
        status = text(host.get("status"))
        by_status[status] = by_status.get(status, 0) + 1
    statuses = list(STATUS_ORDER) + sorted(s for s in by_status if s not in STATUSES)
    acting = sum(1 for h in hosts if needs_action(h.get("status")))
    failing = sum(1 for h in hosts if is_failing(h.get("status")))
    tiles = []
    options = ['<option value="">All statuses (%s)</option>' % format(len(hosts), ","),
               '<option value="needs_action">Needs action (%s)</option>' % format(acting, ","),
               '<option value="failing">Failing (%s)</option>' % format(failing, ",")]
    for status in statuses:
        count = by_status.get(status, 0)
        classes = " ".join(["tile", _status_class(status)] + (["zero"] if not count else [])
                           + (["failing"] if is_failing(status) else []))
        tiles.append('<li><a class="%s" href="#filter=%s" data-status="%s" aria-label="%s: %s">'
                     '<span class="n">%s</span><span class="l">%s</span></a></li>' % (
                         classes, esc(status), esc(status), esc(_label(status)), counted(count, "host"),
                         format(count, ","), esc(_label(status))))
        options.append('<option value="%s">%s (%s)</option>' % (esc(status), esc(_label(status)), format(count, ",")))
    return "".join(tiles), "".join(options), acting, failing


def _verdict(total, acting, failing):
    if not total:
        return "No hosts in this report", "act", "nothing to do \u00b7 0 hosts"
    if acting:
        verdict = "%s of %s need%s action" % (format(acting, ","), counted(total, "host"), "s" if acting == 1 else "")
        return verdict, "fail" if failing else "act", "%s failing \u00b7 %s" % (format(failing, ","), counted(total, "host"))
    return ("All %s %s compliant" % (counted(total, "host"), "is" if total == 1 else "are"), "",
            "nothing to do \u00b7 %s" % counted(total, "host"))


def _write_rows(hosts, selection, out):
    for index in selection:
        out.write(_host_rows(index, hosts[index]))


FINDING_FIELDS = ("id", "vendor", "product", "category", "version", "signatures_date", "verdict", "confidence",
                  "policy", "installed")
PROFILE_FIELDS = ("status", "severity", "platform", "days_left", "reasons", "protection", "waiver", "remediation",
                  "errors", "warnings")


def _interned(table, texts, value):
    """Index of ``value`` (as canonical JSON) in ``texts``, added when new."""
    encoded = json_report.encode(value)
    index = table.get(encoded)
    if index is None:
        index = table[encoded] = len(texts)
        texts.append(encoded)
    return index


def _write_view(hosts, out, trend_lists=None):
    """The compact view of the hosts the page script reads (``report-view``)::

        {names: [host name], collected: [collected_at], profile: [index into profiles],
         profiles: [{status, severity, platform, days_left, reasons, protection, waiver, remediation,
                     errors, warnings, findings: [index into findings]}],
         findings: [{id, vendor, product, ..., installed, ev: [evidence text]}],
         trend: {fixed|new_failing|still_failing|new_hosts: [host index]}}

    A profile is what a host record holds besides its name and collection time, stored once for
    every host that has the same (at 100,000 hosts the page holds a few MB instead of the JSON
    report's 117 MB, docs/performance.md); a finding is stored once with the text of its evidence
    items (``common.evidence_item``, as the server-rendered rows show it)."""
    trend_lists = trend_lists or {}
    findings, finding_texts = {}, []
    profiles, profile_texts = {}, []
    names, collected, profile_of = [], [], []
    for host in hosts:
        indexes = []
        for finding in host.get("findings") or []:
            item = dict((key, finding.get(key)) for key in FINDING_FIELDS)
            item["ev"] = _evidence(finding)
            indexes.append(_interned(findings, finding_texts, item))
        profile = dict((key, host.get(key)) for key in PROFILE_FIELDS)
        profile["findings"] = indexes
        profile_of.append(_interned(profiles, profile_texts, profile))
        names.append(text(host.get("name")))
        collected.append(host.get("collected_at"))
    index_of = dict((name, index) for index, name in enumerate(names))
    trend = dict((key, [index_of[n] for n in listed if n in index_of]) for key, listed in trend_lists.items())
    out.write('{"names":%s,\n"collected":%s,\n"profile":%s,\n"profiles":[%s],\n"findings":[%s],\n"trend":%s}' % (
        json_report.encode(names), json_report.encode(collected), json_report.encode(profile_of),
        ",\n".join(profile_texts), ",\n".join(finding_texts), json_report.encode(trend)))


def _slots(report, static_limit, page_size, sha):
    """The value of each slot of ``PAGE``: markup, or a function that writes it to a stream."""
    hosts = report.get("hosts") or []
    run = report.get("run") or {}
    tiles, options, acting, failing = _tiles_and_options(hosts)
    verdict, verdict_class, verdict_detail = _verdict(len(hosts), acting, failing)
    selection = _static_selection(hosts, static_limit)
    partial = ""
    if len(selection) < len(hosts):
        partial = ('<noscript><p class="note">This report has %s: above %s hosts the page builds the host list '
                   'with JavaScript, a page at a time. Enable JavaScript to see and filter every host, or use the '
                   'CSV or JSON report.</p></noscript>' % (counted(len(hosts), "host"), format(static_limit, ",")))
    config = {"columns": [list(c) for c in COLUMNS], "statusOrder": list(STATUS_ORDER),
              "unrecognisedRank": status_rank("\x00unrecognised"), "severities": list(SEVERITIES),
              "failing": sorted(FAILING), "needsAction": sorted(NEEDS_ACTION), "labels": STATUS_LABELS,
              "pageSize": int(page_size), "findingColumns": list(FINDING_COLUMNS), "partial": len(selection) < len(hosts)}
    generated = esc(report.get("generated_at"))
    version = esc(run.get("collection_version"))
    return {
        "csp": CSP, "css": CSS, "js": JS, "version": version, "generated": generated,
        "as_of": " \u00b7 as of %s" % esc(run.get("as_of")) if run.get("as_of") else "",
        "meta": _meta(report), "verdict_class": verdict_class, "verdict": esc(verdict),
        "verdict_detail": esc(verdict_detail), "mixed": _mixed(report), "tiles": tiles, "partial": partial,
        "options": options + _trend_options(report), "policies": _policies(report.get("policies")),
        "trend": _trend(report),
        "head": "".join('<th scope="col" data-key="%s"%s>%s</th>' % (key, ' class="num"' if key in NUMERIC_COLUMNS else "",
                                                                     esc(label)) for key, label in COLUMNS),
        "rows": lambda out: _write_rows(hosts, selection, out),
        "footer_version": " " + version if version else "", "sha": esc(sha), "schema": esc(report.get("schema")),
        "view": lambda out: _write_view(hosts, _ScriptSafe(out), _trend_lists_of(report)),
        "config": _script_safe(json.dumps(config, ensure_ascii=False, separators=(",", ":"))),
    }


def write(report, out, static_limit=STATIC_LIMIT, page_size=PAGE_SIZE, sha=None):
    """Write the dashboard to the text stream ``out``.  ``sha``: the report's SHA-256, when the
    caller computed it."""
    sha = sha or json_report.digest(report)
    slots = _slots(report, static_limit, page_size, sha)
    pos = 0
    for match in _SLOT_RE.finditer(PAGE):
        out.write(PAGE[pos:match.start()])
        value = slots[match.group(1)]
        if callable(value):
            value(out)
        else:
            out.write(value)
        pos = match.end()
    out.write(PAGE[pos:])


def render(report, static_limit=STATIC_LIMIT, page_size=PAGE_SIZE):
    """The dashboard as UTF-8 bytes."""
    out = io.StringIO()
    write(report, out, static_limit=static_limit, page_size=page_size)
    return out.getvalue().encode("utf-8", "replace")
