#!/usr/bin/env python3
"""Validates request bodies (JSON files) against a schema of OpenRouter's published OpenAPI
document. Used by the tests: `openapi-check.py SPEC SCHEMA FILE...`; prints one line per
invalid file and exits 1 if any."""
import json
import sys

import jsonschema
import yaml

spec_path, schema_name, files = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(spec_path) as handle:
    spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
validator = jsonschema.Draft202012Validator(schema)
failed = 0
for name in files:
    with open(name) as handle:
        body = json.load(handle)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    for error in errors:
        failed += 1
        print(f"{name}: {'/'.join(map(str, error.path)) or '(root)'}: {error.message[:300]}")
sys.exit(1 if failed else 0)
