"""Child process for the kill test: pays one large batch in small chunks (killed mid-way by the test)."""

import sys
from datetime import date

from wengang.casework import Ledger

url, schema, batch_key = sys.argv[1], (sys.argv[2] or None), sys.argv[3]
ledger = Ledger.open(url, schema=schema, migrate=False)
res = ledger.run_payment_batch(batch_key, "fanhuan", 2025, "cashier", today=date(2025, 11, 1), chunk_size=25)
print(res.paid)
