"""The lecture handout: one self-contained HTML file, readable offline, with the scenes a session
visited, in order — their interactive figures, the numbers shown, the settings link and the command
that reproduces each.

Streamlit-free and pure: ``build(records) -> str``. plotly.js comes from the installed plotly package
and is embedded once (no CDN); images (Plotly ``Image`` traces holding pixel arrays) become PNG data
URIs, so nothing is fetched when the file is opened.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

FIGURE_CONFIG = {"displaylogo": False, "responsive": True}
# Each figure's spec is a JSON block beside its <div>; one script draws them all once the page is read.
DRAW_FIGURES = """<script>
document.querySelectorAll("div.figure").forEach(function (div) {
  var spec = JSON.parse(document.getElementById(div.id + "-spec").textContent);
  Plotly.newPlot(div, spec.data, spec.layout, CONFIG);
});
</script>"""

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
section { border-top: 2px solid #ddd; margin-top: 2.5rem; padding-top: 1rem; }
table.numbers { border-collapse: collapse; margin: .5rem 0 1rem; }
table.numbers td { border-bottom: 1px solid #eee; padding: .2rem .8rem .2rem 0; vertical-align: top; }
table.numbers td.value { font-weight: 600; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.caption { color: #555; font-size: .92rem; }
.figure { margin: 1rem 0; }
a code { word-break: break-all; }
"""


@dataclass
class SceneRecord:
    """What one scene showed: its title, numbers (label, value, delta or ""), captions, Plotly figures
    (JSON strings, as ``figure.to_json()`` gives them), the settings link and the reproducing commands."""

    url_path: str
    title: str
    link: str = ""
    commands: list[str] = field(default_factory=list)
    metrics: list[tuple[str, str, str]] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


def png_data_uri(pixels) -> str:
    """An H×W×3 (or H×W) uint8 array as a ``data:image/png;base64,…`` URI."""
    from PIL import Image  # Pillow ships with Streamlit; imported here so the module loads without it

    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _images_as_data_uris(figure: dict) -> dict:
    """Plotly ``Image`` traces with a pixel array ``z`` get ``source``: a PNG data URI, much smaller."""
    for trace in figure.get("data", []):
        if trace.get("type") == "image" and "z" in trace and "source" not in trace:
            z = trace.pop("z")
            if isinstance(z, dict) and "bdata" in z:  # plotly's typed-array encoding
                raw = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
                shape = z.get("shape")  # "4, 5, 3" (a string) in plotly's encoding
                z = raw.reshape([int(n) for n in str(shape).split(",")]) if shape else raw
            trace["source"] = png_data_uri(np.asarray(z))
    return figure


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value).replace("</", "<\\/").replace("<!--", "<\\!--")


def plotly_js() -> str:
    """The plotly.js bundle of the installed plotly package (the same version Streamlit's charts use
    on this machine's Python side)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def build(
    records: list[SceneRecord],
    *,
    title: str = "Randomized Defenses Lab — lecture handout",
    generated: datetime | None = None,
    plotlyjs: str | None = None,
) -> str:
    """The handout as one HTML string: every record in order, plotly.js once."""
    generated = generated or datetime.now(timezone.utc)
    script = (plotlyjs if plotlyjs is not None else plotly_js()).replace("</script", "<\\/script")
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>",
        f"<script>{script}</script></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='caption'>{len(records)} scene(s), in the order they were visited; written "
        f"{generated:%Y-%m-%d %H:%M} UTC. Figures are interactive and need no network. Each settings "
        "link opens the scene with the same values in the dashboard (<code>streamlit run app.py</code>); "
        "each command recomputes its numbers with the <code>core</code> library.</p>",
    ]
    if records:
        parts.append(
            "<ol>"
            + "".join(
                f"<li><a href='#scene-{n}'>{html.escape(r.title)}</a></li>"
                for n, r in enumerate(records, start=1)
            )
            + "</ol>"
        )
    figure_number = 0
    for number, record in enumerate(records, start=1):
        parts.append(f"<section id='scene-{number}'><h2>{number}. {html.escape(record.title)}</h2>")
        if record.link:
            parts.append(
                f"<p>Settings link: <a href='{html.escape(record.link, quote=True)}'>"
                f"<code>{html.escape(record.link)}</code></a></p>"
            )
        if record.metrics:
            rows = "".join(
                f"<tr><td>{html.escape(label)}</td><td class='value'>{html.escape(value)}</td>"
                f"<td class='caption'>{html.escape(delta)}</td></tr>"
                for label, value, delta in record.metrics
            )
            parts.append(f"<table class='numbers'>{rows}</table>")
        for figure_json in record.figures:
            figure_number += 1
            figure = _images_as_data_uris(json.loads(figure_json))
            spec = {"data": figure.get("data", []), "layout": figure.get("layout", {})}
            parts.append(
                f"<div class='figure' id='figure-{figure_number}'></div>"
                f"<script type='application/json' id='figure-{figure_number}-spec'>{_script_json(spec)}"
                "</script>"
            )
        for caption in record.captions:
            parts.append(f"<p class='caption'>{html.escape(caption)}</p>")
        if record.commands:
            parts.append("<p>Reproduce:</p><pre>" + html.escape("\n".join(record.commands)) + "</pre>")
        parts.append("</section>")
    parts.append(DRAW_FIGURES.replace("CONFIG", _script_json(FIGURE_CONFIG)))
    parts.append("</body></html>")
    return "\n".join(parts)
