"""Schemathesis hooks of scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The batch validation endpoint answers NDJSON (`application/x-ndjson`): one `BatchLine` object per input line. This
deserializer checks that every line is a JSON object numbered in order, then hands the first one to schemathesis to
validate against the documented `BatchLine` schema.
"""

import json

import schemathesis


@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    text = response.content.decode(response.encoding or "utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("an NDJSON answer with no line")
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise ValueError(f"line {i + 1} is not a JSON object")
        if i > 0 and line.get("line", 0) <= lines[i - 1].get("line", 0):
            raise ValueError(f"line {i + 1} is out of order")
    return lines[0]
