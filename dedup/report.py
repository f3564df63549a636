"""The audit's report.html: one self-contained right-to-left page, no network, a few lines of script."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the audit calls this module; only the type is needed here
    from dedup.audit import CopyPair

__all__ = ["render_report"]

_STYLE = """
body { font-family: "Noto Naskh Arabic", "Amiri", "Scheherazade New", "Tahoma", "Arial", sans-serif;
       margin: 1.5rem; line-height: 1.7; color: #1d2430; background: #fbfbfa; }
h1, h2 { font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #d5d8dd; padding: 0.25rem 0.6rem; text-align: center; }
.summary td:first-child { text-align: start; }
.pair { border: 1px solid #d5d8dd; border-radius: 6px; margin: 1rem 0; padding: 0.6rem 1rem; background: #fff; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.side p { margin: 0.2rem 0; padding: 0.1rem 0.4rem; border-radius: 3px; }
.match { background: #fff1a8; }
.added { background: #d9f0ff; }
.boiler { color: #8a8f98; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 9px; font-size: 0.85rem; }
.credited { background: #cdeccd; } .credited_other { background: #f2e3c2; } .uncredited { background: #f6cccc; }
.legend span { margin-inline-end: 1rem; padding: 0 0.4rem; }
#filter { font: inherit; padding: 0.2rem 0.4rem; }
"""

_SCRIPT = """
(function () {
  var box = document.getElementById("filter");
  var pairs = Array.prototype.slice.call(document.querySelectorAll(".pair"));
  function apply() {
    var q = box.value.trim();
    var shown = 0;
    pairs.forEach(function (p) {
      var ok = !q || p.getAttribute("data-outlets").indexOf(q) !== -1;
      p.style.display = ok ? "" : "none";
      if (ok) { shown += 1; }
    });
    document.getElementById("shown").textContent = String(shown);
  }
  box.addEventListener("input", apply);
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""


def _heat(value: int, top: int) -> str:
    alpha = 0.08 + 0.85 * (value / top) if top else 0
    return f"background: rgba(200, 40, 40, {alpha:.2f})"


def _matrix(matrix: list[list]) -> str:
    sources = sorted({r[0] for r in matrix})
    copies = sorted({r[1] for r in matrix})
    cells = {(r[0], r[1]): r for r in matrix}
    top = max((r[2] for r in matrix), default=0)
    head = "".join(f"<th>{escape(c)}</th>" for c in copies)
    rows = []
    for s in sources:
        tds = []
        for c in copies:
            r = cells.get((s, c))
            if r is None:
                tds.append("<td></td>")
            else:
                title = f"{r[2]} copies: {r[3]} credited, {r[4]} credited another outlet, {r[5]} uncredited"
                tds.append(
                    f'<td style="{_heat(r[2], top)}" title="{escape(title)}">{r[2]} <small>({r[5]})</small></td>'
                )
        rows.append(f"<tr><th>{escape(s)}</th>{''.join(tds)}</tr>")
    return (
        f'<table class="matrix"><tr><th>المصدر ↓ / الناسخ ←</th>{head}</tr>{"".join(rows)}</table>'
        "<p><small>Cell: articles the column's outlet took from the row's outlet (uncredited in brackets).</small></p>"
    )


def _side(text: str, lines: set[int], added: set[int], label: str) -> str:
    out = [f"<h4>{label}</h4>"]
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        css = "match" if number in lines else "added" if number in added else ""
        out.append(f'<p class="{css}" data-line="{number}">{escape(line)}</p>')
    return f'<div class="side">{"".join(out)}</div>'


def _pair(p: CopyPair) -> str:
    credit = escape(p.credit.text) if p.credit.text else "—"
    outlets = escape(json.dumps([p.source.outlet, p.copy.outlet], ensure_ascii=False))
    return (
        f'<section class="pair" data-outlets="{outlets}" data-source="{escape(p.source.id)}" '
        f'data-copy="{escape(p.copy.id)}">'
        f"<h3>{escape(p.source.outlet)} → {escape(p.copy.outlet)}: {escape(p.source.title or p.source.id)}</h3>"
        f"<p>containment {p.containment:.2f} · Jaccard {p.jaccard:.2f} · lag {p.lag_hours} h · "
        f'<span class="badge {p.credit.status}">{p.credit.status}</span> · credit: {credit}</p>'
        f'<div class="sides">'
        f"{_side(p.source.text, {m[0] for m in p.matched}, set(), 'المصدر · ' + escape(p.source.id))}"
        f"{_side(p.copy.text, {m[1] for m in p.matched}, set(p.added), 'النسخة · ' + escape(p.copy.id))}"
        f"</div></section>"
    )


def render_report(
    summary: dict, pairs: list[CopyPair], matrix: list[list], boilerplate: list[list], max_pairs: int
) -> str:
    """The whole page as a string: summary, outlet heat map, boilerplate, and pairs side by side."""
    counts = summary["counts"]
    attribution = summary["attribution"]
    rows = [
        ("articles read", counts["read"]),
        ("articles used", counts["articles"]),
        ("rejected", counts["rejected"]),
        ("copies across outlets", summary["pairs"]),
        ("credited", attribution.get("credited", 0)),
        ("credited another outlet", attribution.get("credited_other", 0)),
        ("uncredited", attribution.get("uncredited", 0)),
        ("same-outlet reposts", summary["same_outlet_pairs"]),
        ("boilerplate paragraphs", summary["boilerplate_paragraphs"]),
    ]
    summary_html = "".join(f"<tr><td>{escape(k)}</td><td>{v:,}</td></tr>" for k, v in rows)
    shown = sorted(pairs, key=lambda p: (-p.containment, p.source.published))[:max_pairs]
    note = f" (the {max_pairs} with the highest containment of {len(pairs)})" if len(pairs) > max_pairs else ""
    boiler_html = "".join(
        f"<tr><td>{escape(o)}</td><td>{n}</td><td style='text-align:start'>{escape(t[:160])}</td></tr>"
        for o, n, t in boilerplate[:100]
    )
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>تقرير إعادة النشر · dedup audit</title><style>{_STYLE}</style></head>
<body>
<h1>تقرير إعادة النشر</h1>
<table class="summary">{summary_html}</table>
<h2>من نسخ عمّن</h2>
{_matrix(matrix)}
<h2>نصوص متكررة لكل موقع (لا تُحتسب دليلاً على النسخ)</h2>
<table><tr><th>الموقع</th><th>صفحات</th><th>النص</th></tr>{boiler_html}</table>
<h2>النسخ <small>(<span id="shown">{len(shown)}</span> shown{note})</small></h2>
<p class="legend"><span class="match">فقرة مطابقة</span><span class="added">نص مضاف</span>
<label>تصفية حسب الموقع: <input id="filter" type="search" placeholder="outlet"></label></p>
{"".join(_pair(p) for p in shown)}
<script>{_SCRIPT}</script>
</body></html>
"""
