"""Charts of the three rates as PNG, with a CJK font so Chinese labels render (not boxes)."""
import importlib.util
import io
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: charts are rendered in web and worker processes
from matplotlib import font_manager  # noqa: E402  (must follow the backend choice)
from matplotlib.figure import Figure  # noqa: E402

# Noto Sans CJK SC as the mplfonts package (a requirement) ships it: no system font is needed. Its
# folder is found without importing the package, which would load its font manager too.
FONT_FILE = Path(importlib.util.find_spec("mplfonts").submodule_search_locations[0]) / "fonts/NotoSansCJKsc-Regular.otf"
SERIES = (("响应率", "#2f6db3"), ("解决率", "#3a9a4a"), ("满意率", "#e0902f"))


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the shipped CJK font and make it the charts' first family; return its family name."""
    font_manager.fontManager.addfont(str(FONT_FILE))
    family = font_manager.FontProperties(fname=FONT_FILE).get_name()
    matplotlib.rcParams["font.family"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font lacks U+2212
    return family


def _figure(width: float, height: float) -> Figure:
    cjk_font()
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def rates_png(title: str, labels: list[str], rates: list[list[float | None]]) -> bytes:
    """Grouped horizontal bars: the three rates (0..1, None for undefined) per label."""
    figure = _figure(8, max(2.5, 0.55 * len(labels) * 1.6 + 1.2))
    axes = figure.subplots()
    height = 0.27
    for index, (name, colour) in enumerate(SERIES):
        values = [(row[index] or 0) * 100 for row in rates]
        positions = [i + (index - 1) * height for i in range(len(labels))]
        axes.barh(positions, values, height=height, color=colour, label=name)
        for y, row, value in zip(positions, rates, values):
            axes.text(value + 1, y, "—" if row[index] is None else f"{value:.0f}%", va="center", fontsize=8)
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel("%")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


def trend_png(title: str, labels: list[str], rates: list[list[float | None]]) -> bytes:
    """Lines of the three rates over periods (gaps where a rate is undefined)."""
    figure = _figure(8, 3.2)
    axes = figure.subplots()
    for index, (name, colour) in enumerate(SERIES):
        values = [row[index] * 100 if row[index] is not None else float("nan") for row in rates]
        axes.plot(labels, values, marker="o", color=colour, label=name)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title(title)
    axes.legend(loc="lower left", fontsize=8)
    axes.tick_params(axis="x", labelsize=8)
    return _png(figure)


def render(chart: dict) -> bytes:
    """Render a chart described as plain data (as stored in an image_summary notification)."""
    draw = trend_png if chart.get("type") == "trend" else rates_png
    return draw(chart["title"], chart["labels"], chart["rates"])
