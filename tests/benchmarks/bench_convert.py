"""Conversion time between the 2023-01-24 shape and the newest one, beside json.loads of the
same text (the floor): a typical event (< 0.5 ms) and a 5 MB event (within 2x json.loads)."""

from __future__ import annotations

import json

from composer.domain.convert import convert
from composer.domain.spelling import dump_keeping_spelling, read_keeping_spelling
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
    spelled()


def spelled() -> None:
    """Reading and writing a body whose every string is written with escapes and every number
    with a spelling Python would change (what a revision switch keeps as written), beside
    json.loads and json.dumps of the same text."""
    properties = {f"cl\u00e9 {i}": f"caf\u00e9 cr\u00e8me n\u00b0{i}" for i in range(30_000)}
    body = json.loads(json.dumps({"data": {"type": "event", "attributes": {"properties": {}}}}))
    body["data"]["attributes"]["properties"] = properties
    prices = ",\n".join(f'        "price {i}": {i}.10' for i in range(30_000))
    text = json.dumps(body, ensure_ascii=True, indent=2).replace(
        '"properties": {', '"properties": {\n' + prices + ",", 1
    )
    value, odd = read_keeping_spelling(text)
    assert dump_keeping_spelling(value, spelled=odd) == text
    parse = best_of(lambda: json.loads(text), 3, 1)
    read = best_of(lambda: read_keeping_spelling(text), 3, 1)
    plain = json.loads(text)
    dump = best_of(lambda: json.dumps(plain, ensure_ascii=False, indent=2), 3, 1)
    write = best_of(lambda: dump_keeping_spelling(value, spelled=odd), 3, 1)
    print(f"{len(text) / 1e6:.1f} MB, 60,000 strings with escapes and 30,000 numbers like 1.10:")
    print(f"  read keeping spelling  {read * 1000:7.1f} ms   {read / parse:5.1f}x json.loads")
    print(f"  write keeping spelling {write * 1000:7.1f} ms   {write / dump:5.1f}x json.dumps")


if __name__ == "__main__":
    main()
