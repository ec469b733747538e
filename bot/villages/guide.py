"""The one-page 干部使用说明 (cadres' guide): every command with one example, as a printable A4 page."""
from html import escape


def guide_html(guide: dict) -> str:
    """The guide from config's ``cadre_guide`` block as a self-contained HTML page."""
    sections = []
    for section in guide["sections"]:
        rows = "".join(f"<tr><td class=c>{escape(item['command'])}</td><td>{escape(item['does'])}</td>"
                       f"<td class=e>{escape(item['example'])}</td></tr>" for item in section["commands"])
        sections.append(f"<h2>{escape(section['heading'])}</h2><table>{rows}</table>")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(guide['title'])}</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; font-size: 10.5pt;
       line-height: 1.45; margin: 0 auto; max-width: 186mm; }}
h1 {{ font-size: 16pt; margin: 0 0 4mm; }} h2 {{ font-size: 12pt; margin: 4mm 0 1mm; }}
table {{ border-collapse: collapse; width: 100%; }}
td {{ border-bottom: 1px solid #ddd; padding: 1mm 2mm; vertical-align: top; }}
td.c {{ font-weight: bold; white-space: nowrap; width: 32%; }} td.e {{ color: #2f6db3; width: 40%; }}
</style></head><body>
<h1>{escape(guide['title'])}</h1><p>{escape(guide['intro'])}</p>
{"".join(sections)}
<p>{escape(guide['footer'])}</p>
</body></html>
"""
