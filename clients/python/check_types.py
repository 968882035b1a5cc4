"""Checks the TypedDicts of agentd_client against the wire types of the same name in schema/.

For each TypedDict: every key must be a property of the schema type, every key the schema
requires must be a required key here, and a required key here must be required there (a
client must not insist on a field the server may leave out). Prints a JSON report; exits 1 on a
mismatch. Usage: python3 check_types.py <path to schema/app-server.schemas.json>
"""

import json
import sys
import typing

import agentd_client


def typed_dicts():
    for name in agentd_client.__all__:
        obj = getattr(agentd_client, name)
        if isinstance(obj, type) and issubclass(obj, dict) and hasattr(obj, "__required_keys__"):
            yield name, obj


def main() -> int:
    definitions = json.load(open(sys.argv[1]))["definitions"]
    problems = []
    checked = []
    for name, td in typed_dicts():
        schema = definitions.get(name)
        if schema is None:
            problems.append(f"{name}: no such type in schema/")
            continue
        props = set(schema.get("properties", {}))
        required = set(schema.get("required", []))
        ours = set(typing.get_type_hints(td).keys())
        ours_required = set(td.__required_keys__)
        for k in sorted(ours - props):
            problems.append(f"{name}.{k}: not a property of the schema type")
        for k in sorted(required - ours_required):
            problems.append(f"{name}.{k}: required by the schema, missing or optional here")
        for k in sorted(ours_required - required):
            problems.append(f"{name}.{k}: required here, optional in the schema")
        checked.append(name)
    print(json.dumps({"checked": checked, "problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
