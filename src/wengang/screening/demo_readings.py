"""The demo agency's yearly determinations: an agency settles each open question once (docs/interpretations.md).

内人社发〔2025〕18号 gives no 划型 rule: the demo agency classifies by the national standard on registration data.
Used by ``wengang demo`` and by the whole-story run (``wengang.story``); kept apart from both so that neither
imports the other.
"""

DEMO_READINGS = {"fanhuan.size_class_where_silent": "standard_2017"}
