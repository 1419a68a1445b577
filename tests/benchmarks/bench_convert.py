"""Conversion time between the 2023-01-24 shape and the newest one, beside json.loads of the
same text (the floor): a typical event (< 0.5 ms) and a 5 MB event (within 2x json.loads)."""

from __future__ import annotations

import json

from composer.domain.convert import convert
from tests.benchmarks.bench_validate import best_of, limit_event, typical_event


def main() -> None:
    for label, text, repeat, number in (
        ("typical event", typical_event(), 7, 2000),
        ("5 MB event at the limits", limit_event(), 5, 3),
    ):
        body = json.loads(text)
        up = convert(body, "2026-07-15").body
        assert convert(up, "2023-01-24").body == body
        size = len(text.encode())
        parse = best_of(lambda t=text: json.loads(t), repeat, number)  # type: ignore[misc]
        only = best_of(lambda b=body: convert(b, "2026-07-15"), repeat, number)  # type: ignore[misc]
        whole = best_of(
            lambda t=text: convert(json.loads(t), "2026-07-15"),  # type: ignore[misc]
            repeat,
            number,
        )
        back = best_of(lambda b=up: convert(b, "2023-01-24"), repeat, number)  # type: ignore[misc]
        print(f"{label}: {size / 1000:,.1f} kB")
        print(f"  json.loads                 {parse * 1000:9.3f} ms")
        print(f"  convert up (parsed)        {only * 1000:9.3f} ms")
        print(f"  convert down (parsed)      {back * 1000:9.3f} ms")
        print(
            f"  json.loads + convert up    {whole * 1000:9.3f} ms   ratio to json.loads "
            f"{whole / parse:5.2f}x"
        )
    print("targets: typical event under 0.5 ms; 5 MB event within 2x json.loads")


if __name__ == "__main__":
    main()
