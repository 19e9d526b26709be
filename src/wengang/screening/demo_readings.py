"""The demo agency's yearly determinations: an agency settles each open question once (docs/interpretations.md).

内人社发〔2025〕18号 gives no 划型 rule: the demo agency classifies by the national standard on registration data.
Used by ``wengang demo`` and by the whole-story run (``wengang.story``); kept apart from both so that neither
imports the other.
"""

DEMO_READINGS = {"fanhuan.size_class_where_silent": "standard_2017"}
# what the demo agency settles once the screening has shown which open questions decide some units (a 局务会议 after
# the run): each such 待认定 decision then takes the rules' result under them (``case adopt``; decisions §135)
DEMO_ADOPTED = {"fanhuan.base_payment_date": "paid_in_year", "fanhuan.exclusion_status_date": "review"}
