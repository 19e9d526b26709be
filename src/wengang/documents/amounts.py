"""人民币大写 (the amount in Chinese capital numerals) from integer fen, exactly.

Source: 中国人民银行《支付结算办法》（银发〔1997〕393号）附件一《正确填写票据和结算凭证的基本规定》:

* 中文大写金额数字用 壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分零整；
* 到“元”为止的，在“元”之后写“整”字；在“角”之后可以不写“整”字 — we write it (``伍角整``), so nothing
  can be added after the 角; 有“分”的，“分”后面不写“整”字；
* 阿拉伯数字中间有“0”时写“零”字；中间连续有几个“0”时只写一个“零”字；
* 万位、元位是“0”，或者数字中间连续有几个“0”，万位、元位也是“0”，但千位、角位不是“0”时，可以只写一个零字，也可以不
  写“零”字 — we take the shorter form and do not write it (¥107,000.53 → 壹拾万柒仟元伍角叁分, ¥1,680.32 →
  壹仟陆佰捌拾元叁角贰分, both given in the 办法 as correct);
* 角位是“0”而分位不是“0”时，“元”后面应写“零”字 (¥325.04 → 叁佰贰拾伍元零肆分);
* the leading ten is written 壹拾 (the 办法's own example ¥107,000.53 → 壹拾万…), so no digit can be put before it.

Amounts below one 元 start at the 角 or 分 (¥0.50 → 伍角整); zero is 零元整. Up to 9999亿 (less than 10¹² 元).
"""

from __future__ import annotations

from .errors import DocumentError

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿")
LIMIT_FEN = 10**12 * 100


def rmb_upper(fen: int) -> str:
    """``1234567`` → ``壹万贰仟叁佰肆拾伍元陆角柒分``; ``100`` → ``壹元整``."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise DocumentError(f"金额须为整数分 / amount must be integer fen, got {fen!r}")
    if fen < 0:
        raise DocumentError(f"金额不能为负 / amount must not be negative: {fen}")
    if fen >= LIMIT_FEN:
        raise DocumentError("金额超过9999亿元，无法写成大写 / amount too large for 人民币大写")
    yuan, rest = divmod(fen, 100)
    jiao, f = divmod(rest, 10)
    if fen == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if jiao == 0 and f == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"  # 角位是0而分位不是0：元后写零
    return out + (DIGITS[f] + "分" if f else "整")


def _integer(n: int) -> str:
    digits = [int(d) for d in str(n)]
    top = len(digits) - 1
    out: list[str] = []
    zero_run: list[int] = []  # positions (10^p) of the zeros since the last non-zero digit
    for i, d in enumerate(digits):
        p = top - i
        if d == 0:
            zero_run.append(p)
        else:
            # one 零 for a run of zeros, except a run made only of 万位/亿位 (may be left out, we do)
            if zero_run and any(q % 4 for q in zero_run):
                out.append("零")
            zero_run = []
            out.append(DIGITS[d] + SMALL_UNITS[p % 4])
        if p % 4 == 0 and p > 0 and (n // 10**p) % 10**4:
            out.append(GROUP_UNITS[p // 4])  # 万 / 亿 after a group that is not all zeros
    return "".join(out)
