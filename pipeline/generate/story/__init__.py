"""The planted story: a table of incidents (at least one for every rule of DESIGN.md section
7a, in the last days of the period, with at least a week of learning before them; AA-G04's
dormant agent needs ``days >= 40``), the benign look-alikes a good detector leaves alone, and
the routine history both stand out from. One module per family holds their functions; the
table (``table.py``) lists them with the rules each should (or must not) trigger.
"""

from pipeline.generate.story.table import ALL_RULES, MIN_DAYS, TABLE, build_plan, entry

__all__ = ["ALL_RULES", "MIN_DAYS", "TABLE", "build_plan", "entry"]
