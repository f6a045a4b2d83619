"""Day prices remembered in the cache folder: the same answers as genai-prices, without importing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fresh import printed
from vaultledger.pricing import VARIES, PriceBook, parse_price_overrides
from vaultledger.pricing.store import DayPriceStore

DAY = date(2026, 3, 14)
KEYS = [
    ("openai", "gpt-4o-mini", None, DAY),
    ("anthropic", "claude-sonnet-4-5-20250929", None, DAY),  # tiered above 200k input tokens
    ("anthropic", "claude-sonnet-4-5-20250929", "batch", DAY),
    ("acme", "nothing-9", None, DAY),
    ("ollama", "llama3:8b", None, DAY),
]


def remembered_book(cache: Path, overrides: list | None = None) -> PriceBook:
    book = PriceBook(overrides or [], "Europe/Berlin")
    book.remember_in(cache)
    return book


def test_a_remembered_book_answers_like_a_plain_one(tmp_path: Path) -> None:
    plain = PriceBook([], "Europe/Berlin")
    first = remembered_book(tmp_path)
    answers = [first.price_for_day(*key) for key in KEYS]
    second = remembered_book(tmp_path)  # a later run: everything comes from the file
    assert answers == [plain.price_for_day(*key) for key in KEYS] == [second.price_for_day(*key) for key in KEYS]
    assert second._lookups == {}


PROBE = """
import json, sys
from datetime import date
from vaultledger.pricing import PriceBook
book = PriceBook([], "Europe/Berlin")
book.remember_in(__import__("pathlib").Path(sys.argv[1]))
keys = json.loads(sys.argv[2])
prices = [book.price_for_day(p, m, t, date.fromisoformat(d)) for p, m, t, d in keys]
shown = [None if p is None else [*map(str, p.rates().values()), str(p.per_call), p.source, p.model_id,
         p.fallback_tier, str(p.tier_priced_from), p.tiered_from] for p in prices]
print(json.dumps({"loaded": "genai_prices" in sys.modules, "prices": shown}))
"""


def test_a_fresh_process_prices_from_the_cache_without_genai_prices(tmp_path: Path) -> None:
    keys = json.dumps([[p, m, t, d.isoformat()] for p, m, t, d in KEYS])

    def run() -> dict:
        done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), keys], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    cold, warm = run(), run()
    assert cold["loaded"] is True and warm["loaded"] is False
    assert warm["prices"] == cold["prices"]
    assert cold["prices"][1][-1] == 200_000 and cold["prices"][3] is None
    rates = dict(zip(["input", "output", "cache_read", "cache_write", "cache_write_1h"], cold["prices"][1]))
    assert rates["cache_write_1h"] == "6" and "10" in warm["prices"][1]  # 1-hour writes, web searches per 1,000
    assert warm["prices"][2][-3:-1] == ["batch", "2026-10-14"]  # a tier fallback, and when the tier gets a price


def test_a_restored_tiered_price_costs_calls_above_the_tier_like_genai_prices(tmp_path: Path) -> None:
    key = KEYS[1]
    plain = PriceBook([], "Europe/Berlin").price_for_day(*key)
    remembered_book(tmp_path).price_for_day(*key)
    restored = remembered_book(tmp_path).price_for_day(*key)
    for tokens in ((1000, 500, 0, 0), (300_000, 1000, 20_000, 10_000)):
        assert restored.cost(*tokens) == plain.cost(*tokens)  # type: ignore[union-attr]


def test_other_overrides_never_see_remembered_prices(tmp_path: Path) -> None:
    key = KEYS[0]
    remembered_book(tmp_path).price_for_day(*key)
    cheaper = parse_price_overrides([{"provider": "openai", "model": "gpt-4o-mini", "input": 1, "output": 1}], "t")
    assert remembered_book(tmp_path, cheaper).price_for_day(*key).input == 1  # type: ignore[union-attr]


def test_varies_and_unpriced_round_trip_and_a_partial_line_is_a_miss(tmp_path: Path) -> None:
    store = DayPriceStore(tmp_path / "prices.jsonl")
    at = datetime(2026, 3, 14, tzinfo=UTC)
    store.remember(("p", "a", None, "2026-03-14"), VARIES, at)
    store.remember(("p", "b", "flex", "*"), None, at)
    store.close()
    with (tmp_path / "prices.jsonl").open("a") as handle:
        handle.write('{"k":["p","c",null,"*"],"p":nu')
    again = DayPriceStore(tmp_path / "prices.jsonl")
    assert again.get(("p", "a", None, "2026-03-14")) is VARIES
    assert again.get(("p", "b", "flex", "2027-01-01")) is None
    from vaultledger.pricing.store import MISS

    assert again.get(("p", "c", None, "2026-03-14")) is MISS


def test_lines_written_by_the_json_module_still_answer_and_a_garbled_line_is_only_a_miss(tmp_path: Path) -> None:
    """Stores written before msgspec wrote them (ASCII-escaped) keep answering; a line of broken bytes
    costs its own answer, not the file's; non-ASCII names round-trip."""
    from vaultledger.pricing.store import MISS

    path = tmp_path / "prices.jsonl"
    at = datetime(2026, 3, 14, tzinfo=UTC)
    path.write_bytes(json.dumps({"k": ["p", "mod\u00e8le", None, "*"], "p": "varies"}).encode() + b"\n"
                     + b'{"k":["p","\xff\xfe",null,"*"],"p":null}\n')
    store = DayPriceStore(path)
    store.remember(("p", "\u00e9t\u00e9", None, "2026-03-14"), None, at)
    store.close()
    again = DayPriceStore(path)
    assert again.get(("p", "mod\u00e8le", None, "2026-03-14")) is VARIES
    assert again.get(("p", "\u00e9t\u00e9", None, "2026-03-14")) is None
    assert again.get(("p", "other", None, "2026-03-14")) is MISS
    assert "\u00e9t\u00e9".encode() in path.read_bytes()  # written as itself


def test_a_line_whose_price_cannot_be_read_leaves_the_next_line_of_its_key_to_answer(tmp_path: Path) -> None:
    """Prices are decoded when first asked for; a line that fails then (a rate that is no number) is a
    miss as it was when read, and the next line of the same key answers; a key that is no key is skipped."""
    from vaultledger.pricing.store import MISS

    path = tmp_path / "prices.jsonl"
    good = DayPriceStore(tmp_path / "good.jsonl")
    price = PriceBook([], "UTC").price_for("openai", "gpt-4o-mini", datetime(2026, 3, 14, tzinfo=UTC))
    good.remember(("openai", "gpt-4o-mini", None, "*"), price, datetime(2026, 3, 14, tzinfo=UTC))
    good.close()
    line = (tmp_path / "good.jsonl").read_bytes()
    broken = json.loads(line)
    broken["p"]["rates"][0] = "lots"
    path.write_bytes(b'{"k":[["p"],"a",null,"*"],"p":null}\n' + json.dumps(broken).encode() + b"\n" + line)
    again = DayPriceStore(path)
    assert again.get(("openai", "gpt-4o-mini", None, "2026-03-14")) == price
    assert again.get(("p", "a", None, "2026-03-14")) is MISS


@pytest.mark.parametrize("module", ["vaultledger.pricing", "vaultledger.ledger", "vaultledger.reports.report"])
def test_importing_the_read_side_does_not_import_genai_prices(module: str) -> None:
    probe = f"import sys, {module}; print('genai_prices' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_loading_the_price_data_leaves_genai_prices_whole_for_an_app_that_uses_it() -> None:
    """vaultledger loads genai-prices' data without the package's own `__init__` (its HTTP updater:
    httpx and asyncio); an app that then uses genai-prices gets the whole package, the same modules."""
    probe = (
        "import sys\nfrom vaultledger.pricing import bundled\nbundled.load_bundled_prices()\n"
        "print(sorted(m for m in ('httpx2', 'asyncio', 'genai_prices.update_prices') if m in sys.modules))\n"
        "import genai_prices\nfrom genai_prices import Usage, calc_price\n"
        "print(calc_price(Usage(input_tokens=10**6), 'gpt-4o-mini', provider_id='openai').total_price)\n"
        "print(genai_prices.types is bundled.gp, genai_prices.data_snapshot is bundled.data_snapshot,"
        " genai_prices.__version__ == bundled.GENAI_PRICES_VERSION, 'UpdatePrices' in dir(genai_prices))\n"
    )
    assert printed(probe) == ["[]", "0.150", "True True True True"]


def test_an_app_that_imported_genai_prices_first_keeps_its_package() -> None:
    probe = ("import genai_prices\nfrom vaultledger.pricing import bundled\nbundled.load_bundled_prices()\n"
             "print(genai_prices.types is bundled.gp, genai_prices.calc_price.__module__)")
    assert printed(probe) == ["True genai_prices"]


def test_threads_asking_for_genai_prices_at_once_both_get_the_whole_package() -> None:
    """The first name only the package's __init__ defines runs it; a second thread asking meanwhile
    waits for it rather than finding the package half made. dir() sees the whole package too."""
    probe = (
        "import threading, time\nfrom vaultledger.pricing import bundled\nbundled.load_bundled_prices()\n"
        "import genai_prices\nfound, barrier = [], threading.Barrier(3)\n"
        "def ask(delay):\n    barrier.wait(); time.sleep(delay)\n"
        "    from genai_prices import calc_price\n    found.append(calc_price.__name__)\n"
        "threads = [threading.Thread(target=ask, args=(delay,)) for delay in (0, 0.001, 0.002)]\n"
        "[thread.start() for thread in threads]; [thread.join() for thread in threads]\n"
        "print(found, 'calc_price' in dir(genai_prices))\n"
    )
    for _ in range(3):
        assert printed(probe) == ["['calc_price', 'calc_price', 'calc_price'] True"]


@pytest.mark.parametrize("disabled", ["__all__", None])
def test_the_price_data_loads_without_package_metadata_only_where_pydantic_plugins_are_off(
    disabled: str | None, tmp_path: Path
) -> None:
    """With every pydantic plugin disabled, pydantic's plugin loader is imported without
    importlib.metadata (15-20 ms); a later change of the setting still finds an installed plugin,
    through the real module. Without the setting, pydantic finds it at once, as it always did."""
    (tmp_path / "counting_plugin.py").write_text("class Plugin:\n    def new_schema_validator(self, *args):\n"
                                                 "        return None, None, None\n\nplugin = Plugin()\n")
    info = tmp_path / "counting_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: counting-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\ncounting = counting_plugin:plugin\n")
    probe = (
        "import os, sys\nfrom vaultledger.pricing import bundled\nbundled.load_bundled_prices()\n"
        "print('importlib.metadata' in sys.modules)\nos.environ.pop('PYDANTIC_DISABLE_PLUGINS', None)\n"
        "from pydantic.plugin._loader import get_plugins\n"
        "print([type(plugin).__module__ for plugin in get_plugins()], 'importlib.metadata' in sys.modules)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYDANTIC_DISABLE_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *filter(None, [env.get("PYTHONPATH")])])
    if disabled is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = disabled
    assert printed(probe, env=env) == [str(disabled is None), "['counting_plugin'] True"]


READ_THE_YEAR = """
import datetime as dt, json, sys
from pathlib import Path
from vaultledger.ledger import Ledger, parallel
from vaultledger.periods import date_range
from vaultledger.pricing import PriceBook
parallel.PARALLEL_MIN_BYTES, parallel.PARALLEL_MIN_FILES = 0, 2
logs, cache = Path(sys.argv[1]), Path(sys.argv[2])
book = PriceBook([], "UTC")
book.remember_in(cache)
ledger = Ledger(logs, "UTC", book, cache, start_method=sys.argv[3] or None)
totals = ledger.usage(date_range(dt.date(2026, 3, 1), dt.date(2026, 3, 14))).totals()
print(json.dumps({"loaded": "genai_prices" in sys.modules, "calls": totals.calls, "cost": str(totals.cost),
                  "pools": ledger.counters["pools_started"]}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers share the loaded price data under fork")
def test_a_cold_read_by_forked_workers_leaves_the_newest_days_prices_for_the_next_run(tmp_path: Path) -> None:
    """The workers price the calls and their answers go with them; the parent, which loaded the price data
    before forking them, keeps the newest day's: the next run, pricing the lines added to it since, needs
    no genai-prices (about 100 ms of its start)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    models = ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5-20250929")
    for day in range(1, 15):
        calls = [{"ts": f"2026-03-{day:02}T{hour:02}:00:00Z", "provider": "anthropic" if "claude" in model else "openai",
                  "model": model, "input_tokens": 1000 + hour, "output_tokens": 10}
                 for hour in range(24) for model in models]
        (logs / f"2026-03-{day:02}.jsonl").write_text("".join(json.dumps(call) + "\n" for call in calls))

    def read(cache: Path, start_method: str = "") -> dict:
        return json.loads(printed(READ_THE_YEAR, str(logs), str(cache), start_method)[0])

    cold = read(tmp_path / "cache")
    assert cold["loaded"] is True and cold["pools"] == 1
    with (logs / "2026-03-14.jsonl").open("a") as handle:
        handle.write(json.dumps({"ts": "2026-03-14T23:00:00Z", "provider": "openai", "model": "gpt-4o",
                                 "input_tokens": 500, "output_tokens": 5}) + "\n")
    warm = read(tmp_path / "cache")
    assert warm["loaded"] is False and warm["pools"] == 0
    fresh = read(tmp_path / "another cache", "spawn")  # no price kept by anyone: the same figures
    assert (warm["calls"], warm["cost"]) == (fresh["calls"], fresh["cost"]) and warm["calls"] == 14 * 72 + 1
