"""Errors of the policy layer: a bad policy file, and no policy in force."""

from __future__ import annotations

from datetime import date


class PolicyError(Exception):
    """A policy file that does not check. ``str()`` → ``文件 X 第 N 行：中文 / English``.

    When a load finds several defects, the first is raised and all of them are in ``all_errors``.
    """

    def __init__(self, file: str, line: int | None, message_zh: str, message_en: str):
        self.file = file
        self.line = line
        self.message_zh = message_zh
        self.message_en = message_en
        self.all_errors: list[PolicyError] = [self]
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"第 {self.line} 行" if self.line else "（无行号）"
        return f"文件 {self.file} {where}：{self.message_zh} / {self.message_en}"


class NoPolicyInForce(LookupError):
    """No document has the program in force for the region on the date. Never fall back silently."""

    def __init__(
        self,
        region: str,
        on: date,
        program: str,
        last: tuple[str, date | None] | None,
        drafts_available: list[str],
        *,
        region_name: str | None = None,
        program_label: str | None = None,
    ):
        self.region = region
        self.on = on
        self.program = program
        self.last = last
        self.drafts_available = drafts_available
        name = region_name or region
        label = program_label or program
        zh = f"{name} 在 {on.isoformat()} 没有有效的{label}政策"
        en = f"{name} ({region}) has no {program} policy in force on {on.isoformat()}"
        if last is not None:
            number, valid_to = last
            end = valid_to.isoformat() if valid_to else "（未定）"
            zh += f"；最近一份为 {number}，执行至 {end}"
            en += f"; the latest was {number}, in force until {end}"
        zh += "。"
        if drafts_available:
            zh += f"另有征求意见稿（未生效）：{'、'.join(drafts_available)}，仅在明确要求时使用。"
            en += f"; drafts (not in force) exist: {', '.join(drafts_available)}, used only if asked for"
        en += "."
        self.message_zh = zh
        self.message_en = en
        super().__init__(f"{zh} / {en}")
