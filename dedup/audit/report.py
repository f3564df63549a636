"""The audit's report: ``report.html``, one right-to-left page with the summary, the outlet matrix
coloured by the share of uncredited copies, and every pair in a table that filters and pages in
the browser; and ``pairs/NNN.html``, static pages of 100 pairs each, every copy beside its source
with the matched spans marked. No network, a few lines of script; Latin text is isolated (``<bdi>``).
"""

from __future__ import annotations

import json
from html import escape

from dedup.audit.model import Pair, Span
from dedup.audit.names import AGENCIES
from dedup.audit.origin import iso

__all__ = ["PAIRS_PER_PAGE", "pages_of", "render_page", "render_report"]

PAIRS_PER_PAGE = 100

_STYLE = """
body { font-family: "Noto Naskh Arabic", "Amiri", "Tahoma", "Arial", sans-serif; margin: 1.5rem;
       line-height: 1.7; color: #1d2430; background: #fbfbfa; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #d5d8dd; padding: 0.2rem 0.5rem; text-align: center; }
td.text { text-align: start; }
.pair { border: 1px solid #d5d8dd; border-radius: 6px; margin: 1rem 0; padding: 0.6rem 1rem; background: #fff; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.side { white-space: pre-wrap; }
mark { background: #fff1a8; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 9px; font-size: 0.85rem; }
.credited { background: #cdeccd; } .credited_other { background: #f2e3c2; } .uncredited { background: #f6cccc; }
.filters label { margin-inline-end: 1rem; }
"""

_SCRIPT = """
(function () {
  var rows = JSON.parse(document.getElementById("pairs-data").textContent);
  var cols = JSON.parse(document.getElementById("pairs-columns").textContent);
  var body = document.getElementById("pairs-body"), page = 0, size = 100, shown = rows;
  var keys = ["outlet", "attribution", "relation", "extent", "id"];
  function value(k) { return document.getElementById("f-" + k).value.trim(); }
  function ok(r) {
    var o = value("outlet"), id = value("id");
    return (!o || r[2] === o || r[3] === o) && (!value("attribution") || r[10] === value("attribution")) &&
      (!value("relation") || r[8] === value("relation")) && (!value("extent") || r[9] === value("extent")) &&
      (!id || r[0] === id || r[1] === id || String(r[13]) === id);
  }
  function cell(text) { var td = document.createElement("td"); var b = document.createElement("bdi");
    b.textContent = text; td.appendChild(b); return td; }
  function draw() {
    body.textContent = "";
    shown.slice(page * size, page * size + size).forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-pair", r[13]);
      for (var i = 0; i < cols.length; i++) { tr.appendChild(cell(r[i])); }
      var td = document.createElement("td"), a = document.createElement("a");
      a.href = r[12]; a.textContent = "\\u2190"; td.appendChild(a); tr.appendChild(td);
      body.appendChild(tr);
    });
    document.getElementById("shown").textContent = String(shown.length);
    var pages = Math.max(1, Math.ceil(shown.length / size));
    document.getElementById("page").textContent = String(page + 1) + " / " + String(pages);
  }
  function apply() { shown = rows.filter(ok); page = 0; draw(); }
  keys.forEach(function (k) { document.getElementById("f-" + k).addEventListener("input", apply); });
  document.getElementById("prev").onclick = function () { if (page > 0) { page -= 1; draw(); } };
  document.getElementById("next").onclick = function () {
    if ((page + 1) * size < shown.length) { page += 1; draw(); }
  };
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""

# Columns of the pair table, in the order of the rows in the page's data.
_COLUMNS = [
    "source",
    "copy",
    "source outlet",
    "copy outlet",
    "lag h",
    "containment",
    "copy share",
    "direction",
    "relation",
    "extent",
    "attribution",
    "credited",
    "page",
    "#",
]


def _head(title: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
    )


def _heat(uncredited: int, total: int) -> str:
    share = uncredited / total if total else 0
    return f"background: rgba(200, 40, 40, {0.08 + 0.8 * share:.2f})"


def _matrix(matrix: list[list]) -> str:
    sources, copies = sorted({r[0] for r in matrix}), sorted({r[1] for r in matrix})
    cells = {(r[0], r[1]): r for r in matrix}
    head = "".join(f"<th><bdi>{escape(c)}</bdi></th>" for c in copies)
    rows = []
    for s in sources:
        tds = []
        for c in copies:
            r = cells.get((s, c))
            if r is None:
                tds.append("<td></td>")
                continue
            pairs, copy, shared, credited, other, uncredited = r[2:8]
            title = (
                f"{pairs} pairs: {copy} copies, {shared} shared source; {credited} credited, "
                f"{other} credit another outlet, {uncredited} uncredited"
            )
            style = _heat(uncredited, pairs)
            tds.append(f'<td style="{style}" title="{escape(title)}"><b>{copy}</b> · {shared}</td>')
        rows.append(f"<tr><th><bdi>{escape(s)}</bdi></th>{''.join(tds)}</tr>")
    return (
        f"<table><tr><th>الأسبق (صفًّا) · اللاحق (عمودًا)</th>{head}</tr>{''.join(rows)}</table>"
        "<p><small>في كل خانة: <b>نقل مباشر</b> · مصدر مشترك (وكالة أو بيان نشره الاثنان)؛ كلما اشتدت الحمرة "
        "زادت نسبة الأزواج بلا إسناد. <bdi>Cell: <b>copies</b> · shared source, the earlier outlet in the row; "
        "the redder, the larger the share of uncredited pairs.</bdi></small></p>"
    )


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks for the span edges, escaped with the text in one call


def _marked(text: str, spans: list[Span]) -> str:
    """``text`` escaped, with the matched ``spans`` in ``<mark>``."""
    if _OPEN in text or _CLOSE in text:  # the text uses the marks itself: escape piece by piece
        out, at = [], 0
        for a, b in spans:
            out += [escape(text[at:a]), f"<mark>{escape(text[a:b])}</mark>"]
            at = b
        return "".join([*out, escape(text[at:])])
    pieces, at = [], 0
    for a, b in spans:
        pieces += [text[at:a], _OPEN, text[a:b], _CLOSE]
        at = b
    pieces.append(text[at:])
    return escape("".join(pieces)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _pair(number: int, p: Pair) -> str:
    credit = f"{escape(p.credit.where)}: {escape(p.credit.text)}" if p.credit.text else "—"
    shared = p.relation == "shared_source"
    arrow = "⇄" if shared else "→"
    relation = (
        f"مصدر مشترك: <bdi>{escape(_SOURCES.get(p.common_source, p.common_source))}</bdi>{_because(p.evidence)}"
        if shared
        else f"نقل مباشر{_because(p.evidence)}"
    )
    first, second = ("الأسبق", "اللاحق") if shared else ("المصدر", "النسخة")
    return (
        f'<section class="pair" id="pair-{number}" data-source="{escape(p.source.id)}" data-copy="{escape(p.copy.id)}">'
        f"<h3>#{number} <bdi>{escape(p.source.outlet)}</bdi> {arrow} <bdi>{escape(p.copy.outlet)}</bdi>: "
        f"{escape(p.source.title or p.source.id)}</h3>"
        f"<p>{relation} · <bdi>{p.extent} · containment {p.containment:.2f} · copy share "
        f"{p.copy_share:.2f} · lag {p.lag_hours} h ({p.direction})</bdi> · "
        f'<span class="badge {p.credit.status}"><bdi>{p.credit.status}</bdi></span> · {credit}</p>'
        f'<div class="sides"><div><h4>{first} · <bdi>{escape(p.source.id)}</bdi> · {iso(p.source.published)}</h4>'
        f'<div class="side">{_marked(p.source.text, p.source_spans)}</div></div>'
        f"<div><h4>{second} · <bdi>{escape(p.copy.id)}</bdi> · {iso(p.copy.published)}</h4>"
        f'<div class="side">{_marked(p.copy.text, p.copy_spans)}</div></div></div></section>'
    )


# What the codes of pairs.csv say, for a reader of the pages (the codes stay beside them).
_SOURCES = {
    **{agency: names[0][0] for agency, names in AGENCIES.items()},  # "was" -> "واس"
    "statement": "بيان أو إعلان",
    "unnamed": "جهة لم تُسمَّ",
}
_WHY = {
    "agency_item": "مادة الوكالة نفسها في المدخلات",
    "credit": "النسخة تنسب النص إلى المصدر",
    "byline": "التوقيع",
    "dateline": "مستهل الخبر",
    "tag": "سطر الختام",
    "text": "عبارة إسناد في النص",
    "neighbour": "مقال ثالث بالنص نفسه موقّع باسم وكالة",
    "own_byline": "اللاحق موقّع باسم محرره ولا ينسب إلى أحد",
    "statement": "ألفاظ بيان أو إعلان في النص المشترك",
    "republisher": "موقع يعيد نشر ما ينشره غيره",
    "several_outlets": "نشره موقع ثالث أيضًا",
    "copy_has_more": "في النسخة نص ليس في المصدر",
    "unsigned": "لا توقيع ولا إسناد يدلان على الناقل",
}


def _because(evidence: str) -> str:
    """What says so, in Arabic, with its code as ``pairs.csv`` writes it."""
    return f" ({_WHY.get(evidence, '')} <bdi>{escape(evidence)}</bdi>)" if evidence else ""


def _page_name(number: int) -> str:
    return f"pairs/{number // PAIRS_PER_PAGE:03d}.html"


def pages_of(pairs: list[Pair]) -> int:
    """How many static pages the pairs take: pair ``k`` (1-based, as in the report) is on page ``k // 100``."""
    return len(pairs) // PAIRS_PER_PAGE + 1 if pairs else 0


def render_page(pairs: list[Pair], page: int) -> tuple[str, str]:
    """Static page ``page`` of the pairs: (file name, page)."""
    first, end = max(page * PAIRS_PER_PAGE, 1), min((page + 1) * PAIRS_PER_PAGE, len(pairs) + 1)
    parts = "".join(_pair(number, pairs[number - 1]) for number in range(first, end))
    back = "<p><a href='../report.html'>→ report.html</a></p>"
    return _page_name(first), f"{_head('dedup audit · pairs')}{back}{parts}</body></html>"


def render_report(summary: dict, pairs: list[Pair], matrix: list[list], boilerplate: list[list], clusters: list) -> str:
    """The report's main page: summary, outlet matrix, every pair in a filterable table, boilerplate."""
    counts, attribution, relation = summary["counts"], summary["attribution"], summary["relation"]
    rows = [
        ("المقالات المقروءة", "articles read", counts["read"]),
        ("المقالات المستعملة", "articles used", counts["articles"]),
        ("الصفوف المرفوضة", "rejected", counts["rejected"]),
        ("صفحات مكررة الزحف", "crawl duplicates", counts["crawl_duplicates"]),
        ("أزواج بين موقعين", "pairs across outlets", summary["pairs"]),
        ("نقل مباشر من موقع لآخر", "one outlet copying another", relation.get("copy", 0)),
        ("نص مشترك من مصدر ثالث", "both carrying a third party's text", relation.get("shared_source", 0)),
        ("بإسناد إلى المصدر", "credited", attribution.get("credited", 0)),
        ("بإسناد إلى جهة أخرى", "credited another outlet", attribution.get("credited_other", 0)),
        ("بلا إسناد", "uncredited", attribution.get("uncredited", 0)),
        ("إعادة نشر في الموقع نفسه", "same-outlet reposts", summary["same_outlet_pairs"]),
        ("مجموعات", "clusters", len(clusters)),
        ("فقرات متكررة للموقع", "boilerplate paragraphs", summary["boilerplate_paragraphs"]),
    ]
    summary_html = "".join(
        f"<tr><td class='text'>{ar} <small><bdi>{en}</bdi></small></td><td>{v:,}</td></tr>" for ar, en, v in rows
    )
    data = [
        [
            p.source.id,
            p.copy.id,
            p.source.outlet,
            p.copy.outlet,
            p.lag_hours,
            p.containment,
            p.copy_share,
            p.direction,
            p.relation,
            p.extent,
            p.credit.status,
            p.credit.named,
            f"{_page_name(k)}#pair-{k}",
            k,
        ]
        for k, p in enumerate(pairs, start=1)
    ]
    script_json = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    options = {
        "attribution": ("credited", "credited_other", "uncredited"),
        "relation": ("copy", "shared_source"),
        "extent": ("full", "partial", "excerpt", "passage"),
    }
    selects = "".join(
        f'<label><bdi>{k}</bdi> <select id="f-{k}"><option value="">all</option>'
        + "".join(f'<option value="{v}">{v}</option>' for v in values)
        + "</select></label>"
        for k, values in options.items()
    )
    boiler_html = "".join(
        f"<tr><td><bdi>{escape(o)}</bdi></td><td>{n}</td><td class='text'>{escape(t[:160])}</td></tr>"
        for o, n, t in boilerplate[:200]
    )
    head = "".join(f"<th><bdi>{c}</bdi></th>" for c in _COLUMNS[:-2])
    return (
        f"{_head('تقرير إعادة النشر · dedup audit')}<h1>تقرير إعادة النشر</h1>"
        f"<table>{summary_html}</table><h2>من نقل عمّن، ومن نشر نصًّا مشتركًا</h2>{_matrix(matrix)}"
        f'<h2>الأزواج <small>(<span id="shown">{len(pairs)}</span>)</small></h2>'
        f'<p class="filters"><label><bdi>outlet</bdi> <input id="f-outlet" type="search"></label>{selects}'
        f'<label><bdi>id or #</bdi> <input id="f-id" type="search"></label>'
        f'<button id="prev">→</button> <span id="page"></span> <button id="next">←</button></p>'
        f"<table><thead><tr>{head}<th><bdi>page</bdi></th><th>#</th><th></th></tr></thead>"
        f'<tbody id="pairs-body"></tbody></table>'
        f"<h2>نصوص متكررة لكل موقع (لا تُحتسب دليلاً على النقل)</h2>"
        f"<table><tr><th>الموقع</th><th>صفحات</th><th>النص</th></tr>{boiler_html}</table>"
        f'<script type="application/json" id="pairs-data">{script_json}</script>'
        f'<script type="application/json" id="pairs-columns">{json.dumps(_COLUMNS)}</script>'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
