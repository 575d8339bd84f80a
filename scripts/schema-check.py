#!/usr/bin/env python3
"""Validates manifests against docs/manifest.schema.json (JSON Schema 2020-12); prints one
line per problem and exits 1 if any. `schema-check.py SCHEMA MANIFEST...`, or
`schema-check.py SCHEMA --fields` to print the task fields the schema knows."""
import json
import sys

import jsonschema

with open(sys.argv[1]) as handle:
    schema = json.load(handle)
if sys.argv[2:] == ["--fields"]:
    for kind in ("imageTask", "ttsTask", "videoTask"):
        print(kind, " ".join(sorted(schema["$defs"][kind]["properties"])))
    sys.exit(0)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
for name in sys.argv[2:]:
    with open(name) as handle:
        document = json.load(handle)
    for error in validator.iter_errors(document):
        failed += 1
        print(f"{name}: {'/'.join(map(str, error.path)) or '(root)'}: {error.message[:200]}")
sys.exit(1 if failed else 0)
