"""What leaves the office: 公示 lists, letters (告知书/决定书), bank files — pure functions, plain data in, files out.

* :mod:`.xlsx` — the one XLSX writer every list uses (headers, money, dates, formula-injection escaping);
* :mod:`.masking` — masked ID numbers, credit codes, phones and bank accounts for what is shown to others;
* :mod:`.amounts` — 人民币大写 from integer fen;
* :mod:`.publicity` — the 公示 list (XLSX and PDF);
* :mod:`.letters` — 告知书 / 决定书 as PDF from ``Decision.to_dict()``;
* :mod:`.bank` — the disbursement file for the bank, its XLSX twin, and the bank's return file;
* :mod:`.pdf` — reportlab set-up with a CJK font.
"""
