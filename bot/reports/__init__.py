"""Figures and records: what answers "how well are cases handled?".

The three rates (one definition, computed in SQL), periods, the weekly and monthly summaries,
chart images, and the field records (work diaries, announcements, inspections). May import
``models``, ``cases`` (for the case rules the rates count by), ``villages`` and ``roster`` (station
days and place names in summaries) and the spine; never ``delivery``: sending a chart or the
Monday push is delivery's job.
"""
