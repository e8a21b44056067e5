"""evaluate() on the whole policy (every programme assessed), p50/p95."""

from __future__ import annotations

import datetime as dt

from benchmarks.common import percentiles, save, timed
from eligibility.engine import default_rules, evaluate
from eligibility.facts import Facts

FACT_SETS = [
    {"product_category": "smart_hardware", "new_product_sales_increment_yuan": 8_000_000},
    {"projects": [{"product_category": "smart_hardware", "new_product_sales_increment_yuan": 9_000_000,
                   "model_kind": "vertical_model", "model_registered": True, "model_purchase_cost_yuan": 4_000_000}]},
    {"platform_level": "national", "platform_operating_cost_yuan": 5_000_000,
     "awards_received": {"innovation-platform-operation": {"this_year_yuan": 0, "total_yuan": 1_500_000}}},
    {},
]


def main() -> dict:
    default_rules()
    on = dt.date(2026, 6, 1)
    facts = [Facts.model_validate(f) for f in FACT_SETS]
    result = {}
    for label, include_all in (("whole_policy", True), ("concerned_only", False)):
        samples = []
        for f in facts:
            evaluate(f, on, include_all=include_all)
            samples += timed(lambda f=f, every=include_all: evaluate(f, on, include_all=every), 300)
        result[label] = percentiles(samples)
    save("engine", result)
    return result


if __name__ == "__main__":
    main()
