"""Re-record what Chromium makes of every input in whatwg.json (run by hand).

    .venv/bin/python tests/vectors/urls/record.py

For each case it stores ``new URL(input)``'s ``href``, ``host`` and ``hostname`` as
Debian's /usr/bin/chromium computes them (null when it throws). The ``verdict`` and
``shown`` fields are our expectations, reviewed by hand, and are kept as they are.
tests/urls/test_whatwg_vectors.py checks our parser against the recorded values, and
tests/urls/test_whatwg_browser.py checks them against the live browser.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
FILE = HERE / "whatwg.json"
# Evaluated in the page for a list of inputs; a failed parse is null, as in the file.
NEW_URL = """(inputs) => inputs.map((x) => {
  try { const u = new URL(x); return {href: u.href, host: u.host, hostname: u.hostname}; }
  catch (e) { return null; }
})"""


def chromium_reading(page: Any, inputs: list[str]) -> list[dict[str, str] | None]:
    result: list[dict[str, str] | None] = page.evaluate(NEW_URL, inputs)
    return result


def main() -> None:
    doc = json.loads(FILE.read_text("utf-8"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        readings = chromium_reading(page, [c["input"] for c in doc["cases"]])
        doc["chromium_version"] = browser.version
        browser.close()
    for case, reading in zip(doc["cases"], readings, strict=True):
        case["chromium"] = reading
    FILE.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
