"""Reports: statistics, charts, fund reserve, simulation, policy diff.

* :mod:`.charts` — accessible server-rendered SVG charts (bar, horizontal bar, line) with Chinese labels,
  shared by the web pages and by reports written to files.
"""
