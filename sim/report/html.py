"""One self-contained HTML page: figures embedded as data URIs, no external URL, A4 print.

Policy staff forward the file by e-mail and open it offline, so nothing may be fetched: no
web fonts, scripts or style sheets from elsewhere. The page uses the reader's system fonts
for text (every Chinese-capable system has one) and embedded PNGs for figures.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CSS = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #d9d9d9; --pass: #1a7f37; --fail: #b42318; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       "Helvetica Neue", Arial, sans-serif; color: var(--ink); max-width: 60rem;
       margin: 1.5rem auto; padding: 0 1.2rem; line-height: 1.5; font-size: 15px; }
h1 { font-size: 1.55rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid var(--rule); padding-bottom: .2rem;
     margin-top: 2rem; }
h3 { font-size: 1.02rem; margin: 1.2rem 0 .3rem; }
.sub { color: var(--muted); margin: 0 0 1rem; }
.summary { background: #f6f8fa; border: 1px solid var(--rule); border-radius: 6px;
           padding: .6rem 1.1rem; }
.summary li { margin: .25rem 0; }
.pass { color: var(--pass); font-weight: 600; }
.fail { color: var(--fail); font-weight: 600; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .88rem; }
th, td { border: 1px solid var(--rule); padding: .2rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 1.6rem; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; }
.missing { color: var(--muted); font-style: italic; border-left: 3px solid var(--rule);
           padding-left: .6rem; }
nav ol { columns: 2; font-size: .9rem; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; font-size: .78rem;
      white-space: pre-wrap; word-break: break-word; }
details summary { cursor: pointer; color: var(--muted); }
.wide { overflow-x: auto; max-width: 100%; }
td, th { overflow-wrap: break-word; }
@media (max-width: 640px) {
  /* a phone: text at full width, wide tables and figures scroll sideways at a readable
     size instead of shrinking to thumbnails or pushing the page wider than the screen */
  body { margin: .6rem auto; padding: 0 .6rem; font-size: 14px; }
  h1 { font-size: 1.25rem; }
  nav ol { columns: 1; padding-left: 1.2rem; }
  .summary { padding: .4rem .6rem; }
  table { font-size: .8rem; }
  figure { overflow-x: auto; }
  figure img { max-width: none; width: 720px; }
  figcaption { max-width: calc(100vw - 1.4rem); position: sticky; left: 0; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  details { display: block; }
  details > *:not(summary) { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""


@dataclass
class FigureEntry:
    """One figure of the report, or the reason it is absent."""

    id: str
    title: str
    caption: str = ""
    png: bytes | None = None
    missing: str | None = None
    files: list[Path] = field(default_factory=list)


@dataclass
class Section:
    """A heading, then text blocks in order (paragraphs, bullet lists, tables), then figures."""

    id: str
    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)
    figures: list[FigureEntry] = field(default_factory=list)
    pre: list[tuple[str, str]] = field(default_factory=list)  # (summary, text) in <details>
    css_class: str = ""

    def p(self, text: str) -> Section:
        """Add a paragraph."""
        self.blocks.append(("p", text))
        return self

    def ul(self, items: list[str]) -> Section:
        """Add a bulleted list."""
        if items:
            self.blocks.append(("ul", list(items)))
        return self

    def table(self, header: list[str], rows: list[list[str]]) -> Section:
        """Add a table (cells escaped)."""
        if rows:
            self.blocks.append(("table", (header, rows)))
        return self


def esc(text: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(text), quote=True)


def data_uri(png: bytes) -> str:
    """A PNG as a data URI, so the report is one file to forward."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _mark(text: str) -> str:
    """Escape, then colour the words that say pass/fail (generated text, fixed vocabulary)."""
    out = esc(text)
    for word, cls in (("✔", "pass"), ("✘", "fail")):
        out = out.replace(word, f'<span class="{cls}">{word}</span>')
    return out


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            cls = ' class="num"' if _is_number(cell) else ""
            cells.append(f"<td{cls}>{_mark(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _is_number(text: str) -> bool:
    t = str(text).replace(",", "").replace("%", "").replace("−", "-").strip()
    try:
        float(t)
    except ValueError:
        return False
    return True


def _figure(entry: FigureEntry) -> str:
    title = f'<h3 id="{esc(entry.id)}">{esc(entry.title)}</h3>'
    if entry.png is None:
        return f'{title}<p class="missing">{esc(entry.missing or "")}</p>'
    return (
        f'{title}<figure><img alt="{esc(entry.title)}" src="{data_uri(entry.png)}">'
        f"<figcaption>{esc(entry.caption)}</figcaption></figure>"
    )


def render_page(*, title: str, subtitle: str, sections: list[Section], lang: str) -> str:
    """The whole page as a string."""
    toc = "".join(
        f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>' for s in sections
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{esc(subtitle)}</p>',
        f"<nav><ol>{toc}</ol></nav>",
    ]
    for s in sections:
        cls = f' class="{esc(s.css_class)}"' if s.css_class else ""
        parts.append(f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2><div{cls}>')
        for kind, content in s.blocks:
            if kind == "p":
                parts.append(f"<p>{_mark(content)}</p>")
            elif kind == "ul":
                parts.append("<ul>" + "".join(f"<li>{_mark(b)}</li>" for b in content) + "</ul>")
            else:
                parts.append(_table(*content))
        parts.append("</div>")
        parts += [_figure(f) for f in s.figures]
        parts += [
            f"<details><summary>{esc(summary)}</summary><pre>{esc(text)}</pre></details>"
            for summary, text in s.pre
        ]
        parts.append("</section>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts)
