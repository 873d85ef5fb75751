"""Parse Prometheus text exposition format from stdin with the Prometheus project's own Python
client parser (Debian's python3-prometheus-client) and print the families as JSON.

Used by metrics-prometheus.test.ts; a malformed exposition makes the parser raise, and this
script exit non-zero with the error.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append(
        {
            "name": family.name,
            "type": family.type,
            "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
        }
    )
print(json.dumps(families))
