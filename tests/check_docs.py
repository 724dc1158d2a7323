#!/usr/bin/env python3
"""Every ```cpp block in docs/*.md must stand, line for line, in a compiled test file.

A page docs/NAME.md is checked against tests/**/doc_NAME*.cpp: each block's lines (leading and
trailing white space ignored, blank lines skipped) must appear as a contiguous run in one of
them. So an example in the docs is always code that compiles and runs in the test suite.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
failures = []
checked = 0
for page in sorted((root / "docs").glob("*.md")):
    blocks = re.findall(r"^```cpp\n(.*?)^```", page.read_text(), re.S | re.M)
    if not blocks:
        continue
    sources = sorted((root / "tests").glob(f"**/doc_{page.stem}*.cpp"))
    if not sources:
        failures.append(f"{page.name}: has cpp examples but no tests/**/doc_{page.stem}*.cpp")
        continue
    texts = [[l.strip() for l in s.read_text().splitlines() if l.strip()] for s in sources]
    for i, block in enumerate(blocks, 1):
        lines = [l.strip() for l in block.splitlines() if l.strip()]
        if not lines:
            continue
        checked += 1
        n = len(lines)
        if not any(t[k:k + n] == lines for t in texts for k in range(len(t) - n + 1)):
            failures.append(f"{page.name}: example {i} (starting '{lines[0]}') is not in "
                            + ", ".join(str(s.relative_to(root)) for s in sources))
for f in failures:
    print("docs:", f)
print(f"docs: {checked} examples checked, {len(failures)} problems")
sys.exit(1 if failures else 0)
