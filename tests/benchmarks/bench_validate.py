"""Validation time, JSON text to findings, beside json.loads of the same text (the floor)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from composer.domain.validator import Validator


def typical_event() -> str:
    """A realistic ~2 KB Placed Order event."""
    items = [
        {
            "ProductID": f"{1000 + i}",
            "SKU": f"SKU-{i:04d}",
            "ProductName": f"Book number {i}",
            "Quantity": 1 + i % 3,
            "ItemPrice": 9.99 + i,
            "RowTotal": 9.99 + i,
            "ProductURL": f"https://www.example.com/products/{1000 + i}",
            "Categories": ["Fiction", "Children"],
        }
        for i in range(6)
    ]
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {
                    "$email": "ann.lee@example.com",
                    "$phone_number": "+15005550006",
                    "$first_name": "Ann",
                    "$last_name": "Lee",
                    "$consent": ["email", "sms"],
                },
                "metric": {"name": "Placed Order"},
                "properties": {
                    "OrderId": "1000123",
                    "Items": items,
                    "ItemNames": [i["ProductName"] for i in items],
                    "DiscountCode": "SPRING",
                    "$extra": {"Notes": "door"},
                },
                "time": "2022-11-08T14:30:00+00:00",
                "value": 99.5,
                "unique_id": "order-1000123",
            },
        }
    }
    return json.dumps(body, indent=1)


def limit_event() -> str:
    """~5 MB of properties that sits at every limit: 300 top-level properties, arrays of 4000,
    10 nesting levels, strings of 100 kB, metric name of 127 characters."""
    props: dict[str, Any] = {}
    for i in range(40):
        props[f"big{i}"] = "x" * 99_000
    for i in range(4):
        props[f"list{i}"] = [
            {"sku": f"S{j}", "qty": j, "price": j * 1.5, "ok": j % 2 == 0} for j in range(4000)
        ]
    deep: Any = {"leaf": "bottom"}
    for _ in range(8):  # properties (1) > deep (2) > 8 more levels = 10
        deep = {"level": deep, "tag": "t"}
    props["deep"] = deep
    i = 0
    while len(props) < 300:
        props[f"p{i}"] = f"value {i}"
        i += 1
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "profile": {"$email": "ann@example.com"},
                "metric": {"name": "M" * 127},
                "properties": props,
                "unique_id": "u-1",
            },
        }
    }
    return json.dumps(body, separators=(",", ":"))


def best_of(fn: Callable[[], Any], repeat: int, number: int) -> float:
    """Best mean seconds per call over `repeat` rounds of `number` calls."""
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - started) / number)
    return min(rounds)


def main() -> None:
    validator = Validator("2023-01-24")
    for label, text, repeat, number in (
        ("typical event", typical_event(), 7, 2000),
        ("5 MB event at the limits", limit_event(), 5, 3),
    ):
        report = validator.validate_text(text)
        assert report.valid, [f.message for f in report.errors]
        size = len(text.encode())
        parse = best_of(lambda t=text: json.loads(t), repeat, number)  # type: ignore[misc]
        full = best_of(lambda t=text: validator.validate_text(t), repeat, number)  # type: ignore[misc]
        print(f"{label}: {size / 1000:,.1f} kB, findings {len(report.findings)}")
        print(f"  json.loads        {parse * 1000:9.3f} ms")
        print(
            f"  validate_text     {full * 1000:9.3f} ms   ratio to json.loads {full / parse:5.2f}x"
        )
    print("targets: typical event under 0.3 ms; 5 MB event within 2x json.loads")


if __name__ == "__main__":
    main()
