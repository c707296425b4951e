"""Reading what the file SMS backend sent (notify/sms.py), for the phone tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CODE = re.compile(r"\b([0-9]{6})\b")
PHONE = "+8613800138000"
OTHER = "+8613900139000"


def messages(data_dir: Path) -> list[dict[str, Any]]:
    folder = data_dir / "sms"
    if not folder.exists():
        return []
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]


def last_code(data_dir: Path, to: str = PHONE) -> str:
    sent = [m for m in messages(data_dir) if m["to"] == to]
    assert sent, f"no text message to {to}"
    found = CODE.search(sent[-1]["text"])
    assert found, sent[-1]["text"]
    return found.group(1)
