"""`vaultledger dashboard`: one self-contained HTML file of a period's costs, readable offline.

Data, styles, script and charts (SVG made in `reports.svg`) are all inline, and the page's Content
Security Policy allows nothing else: no font, script, style or image is fetched, and a record's text
can never run as script. The page shows the same sums as `report --format json`, formatted as every
report formats them. Light and dark follow the reader's `prefers-color-scheme`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from vaultledger._fs import atomic_write_text
from vaultledger.budgets import BudgetStatus, budgets_from
from vaultledger.budgets.plans import parse_plans
from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import Sums
from vaultledger.notes.escape import plain_label
from vaultledger.notes.render import format_count
from vaultledger.periods import Period, WeekRule, date_range, today
from vaultledger.pricing import format_share, format_usd
from vaultledger.reports.dashboard_data import DashboardData, gather_dashboard
from vaultledger.reports.svg import StackedBars, stacked_bar_svg
from vaultledger.settings import Settings

PAGE_DIR = Path(__file__).parent / "dashboard_page"
DEFAULT_DAYS = 30  # with no period named: the last 30 days, today included
BREAKDOWNS = (("provider", "Provider"), ("model", "Model"), ("project", "Project"), ("use_case", "Use case"),
              ("app", "App"))
COUNT_COLUMNS = (("Calls", "calls"), ("Input tokens", "input_tokens"), ("Output tokens", "output_tokens"),
                 ("Cache read", "cache_read_tokens"), ("Cache write", "cache_write_tokens"))
# The report JSON's `problems` counts, as the page names them (shown only when not zero).
PROBLEM_NAMES = (
    ("invalid_lines", "Invalid log lines (not counted)"), ("duplicates", "Repeated call ids (counted once)"),
    ("stray_lines", "Lines filed under the wrong day (not counted)"), ("truncated_files", "Log files cut short"),
    ("unknown_tiers", "Calls at an unknown service tier (priced as standard)"),
    ("guessed_providers", "Calls whose provider was guessed"),
    ("tier_fallbacks", "Calls priced at the standard rate for want of their tier's price"),
    ("dropped_records", "Calls the logger could not write"),
    ("outliers", "Calls too large to be real (counted: check them)"),
)


def default_period(as_of: dt.date) -> Period:
    """The period a dashboard shows when none is named."""
    return date_range(as_of - dt.timedelta(days=DEFAULT_DAYS - 1), as_of)


def dashboard_html(
    settings: Settings, ledger: Ledger, period: Period | None, rule: WeekRule, now: dt.datetime | None = None
) -> str:
    """The page for `period` (default: the last 30 days), with today (as of `now`, default the clock)
    and its week, month and quarter against the config's budgets."""
    as_of = today(settings.timezone.value, now)
    plans = parse_plans(settings.plans, settings.config_label)
    return render_dashboard(gather_dashboard(ledger, period or default_period(as_of), budgets_from(settings), rule,
                                             as_of, plans))


def write_dashboard(path: Path, html: str) -> None:
    """Write the page at once: a browser or sync tool never sees half of it."""
    atomic_write_text(path, html)


def refresh_dashboard(settings: Settings, rule: WeekRule, now: dt.datetime | None = None) -> list[str]:
    """The nightly run's dashboard, where the config asks for one (`[dashboard] path`); warnings, if any.

    It reads with a ledger of its own, so its read problems are those of its period alone."""
    if settings.dashboard_path is None:
        return []
    ledger = Ledger.from_settings(settings)
    ledger.book.remember_in(settings.cache_dir.value)
    try:
        write_dashboard(settings.dashboard_path, dashboard_html(settings, ledger, None, rule, now))
    except OSError as error:
        return [f"dashboard {settings.dashboard_path} not written: {error.strerror or error}"]
    return []


def render_dashboard(data: DashboardData) -> str:
    """The whole page as text; the same data gives the same bytes."""
    css, script = _asset("style.css"), _asset("sort.js")
    return _template().render(
        policy=content_security_policy(css, script), css=css, script=script,
        period=data.period, as_of=data.as_of, totals=data.totals, cards=data.cards, breakdowns=data.breakdowns,
        dimensions=BREAKDOWNS, columns=COUNT_COLUMNS, daily=data.daily, chart=_daily_chart(data),
        units=data.units, unpriced=data.unpriced, savings=data.savings, plans=data.plans, problem_lines=_problem_lines(data.problems),
    )


def content_security_policy(css: str, script: str) -> str:
    """Nothing may load from anywhere; only this page's own style and script (by hash) may apply."""
    return (f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(script)}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@cache
def _asset(name: str) -> str:
    return (PAGE_DIR / name).read_text(encoding="utf-8")


@cache
def _template():  # type: ignore[no-untyped-def]
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(PAGE_DIR), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(usd=format_usd, count=format_count, label=plain_label, share=_share,
                               share_value=_share_value, percent=_percent,
                               calls_word=lambda count: "call" if count == 1 else "calls")
    return environment.get_template("page.html.j2")


def _daily_chart(data: DashboardData) -> str:
    series = [(plain_label(name), values) for name, values in data.daily.by_provider]
    days = data.daily.days
    one_year = days[0].year == days[-1].year
    ticks = [day.isoformat()[5:] if one_year else day.isoformat() for day in days]  # 03-14 within a year
    chart = StackedBars([day.isoformat() for day in days], series, "Cost per day by provider (USD)", format_usd,
                        ticks)
    return stacked_bar_svg(chart)


def _share(part: Sums, total: Sums) -> str:
    """Cost share when there is cost, else a share of calls, as the report's tables say it."""
    return format_share(part.cost, total.cost) if total.cost else format_share(part.calls, total.calls)


def _share_value(part: Sums, total: Sums) -> Decimal:
    return part.cost if total.cost else Decimal(part.calls)


def _percent(status: BudgetStatus) -> Decimal:
    """The budget's share in percent for a bar, 100 for a zero budget with spending."""
    share = status.share
    return Decimal(100) if share.is_infinite() else (share * 100).quantize(Decimal("0.1"))


def _problem_lines(problems: dict[str, Any]) -> list[tuple[str, tuple[str, int]]]:
    """(what the page calls it, (the JSON key, how many)) for each problem the period has."""
    counts = {key: len(value) if isinstance(value, list) else value for key, value in problems.items()}
    return [(name, (key, counts[key])) for key, name in PROBLEM_NAMES if counts.get(key)]
