"""`vaultledger mcp`: the SDK's own client lists and calls every tool, and each answer equals what the CLI
says about the same logs (`report --format json`, `budget`, `prices`, `export --format json`).

The fast tier talks to the server in-process (the SDK's in-memory transport, the real tool registry and
argument validation); the slow tier starts `vaultledger mcp` as a subprocess and talks over stdio."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.pricing import format_usd

pytest.importorskip("mcp", reason="the MCP SDK is the mcp extra: pip install 'vaultledger[mcp]'")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from vaultledger.cli.mcp_server import build_server  # noqa: E402
from vaultledger.cli.mcp_tools import CostTools  # noqa: E402

TOOLS = {"get_cost_report", "get_budget_status", "estimate_call_cost", "get_task_cost", "get_cost_per_unit",
         "get_top_spending"}
CONFIG = """
logs = "logs"
timezone = "UTC"
[budgets]
monthly = 50
exclude_plans = true
[budgets.project.orbis]
monthly = 10
hard = true
[plans.claude-max]
name = "Claude Max"
monthly = 200
match = { provider = "anthropic", app = "claude-code" }
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A month of calls: Claude Code on a plan, an orbis call with its own cost, poems with unit ids."""
    logs = tmp_path / "logs"
    write_lines(logs / "2026-03-02.jsonl",
                call(ts="2026-03-02T10:00:00Z", provider="anthropic", model="claude-sonnet-4-5", app="claude-code",
                     input_tokens=1_000_000, output_tokens=100_000, session="cc-1"),
                call(ts="2026-03-02T11:00:00Z", project="orbis", cost_usd=3))
    write_lines(logs / "2026-03-14.jsonl",
                call(ts="2026-03-14T12:00:00Z", project="poetry", use_case="poem", unit_id="p1", session="s1"),
                call(ts="2026-03-14T12:05:00Z", model="gpt-4o", project="poetry", use_case="poem", unit_id="p1",
                     session="s1"),
                call(ts="2026-03-14T12:10:00Z", model="gpt-4o", input_tokens=2000, project="poetry",
                     use_case="poem", unit_id="p2"),
                call(ts="2026-03-14T12:20:00Z", provider="acme", model="mystery-9", project="poetry"))
    path = tmp_path / "vaultledger.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cli_text(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def ask(server_or_params: Any, questions: list[tuple[str, dict[str, Any]]]) -> tuple[set[str], list[Any]]:
    """The tool names the server lists, and each question's result, over one client session."""
    async def session() -> tuple[set[str], list[Any]]:
        async with Client(server_or_params) as client:
            listed = await client.list_tools()
            return {tool.name for tool in listed.tools}, [await client.call_tool(name, args) for name, args in questions]

    return anyio.run(session)


QUESTIONS = [
    ("get_cost_report", {"period": "2026-03"}),
    ("get_cost_report", {"period": "2026-03", "by": "day"}),
    ("get_budget_status", {"period": "2026-03"}),
    ("estimate_call_cost", {"model": "openai/gpt-4o", "input_tokens": 1000, "output_tokens": 100}),
    ("get_task_cost", {"unit_id": "p1", "period": "2026-03"}),
    ("get_task_cost", {"session": "cc-1", "period": "2026-03"}),
    ("get_cost_per_unit", {"period": "2026-03", "use_case": "poem"}),
    ("get_top_spending", {"period": "2026-03", "limit": 2}),
]


def assert_answers_match_the_cli(config: Path, answers: list[Any]) -> None:
    report, by_day, budgets, estimate, unit, session, per_unit, top = (answer.structured_content for answer in answers)
    assert not any(answer.is_error for answer in answers)
    c = ["--config", str(config)]
    assert report == cli_json("report", "--month", "2026-03", "--format", "json", *c)
    assert by_day == cli_json("report", "--month", "2026-03", "--by", "day", "--format", "json", *c)
    assert report["plans"][0]["line"].startswith("Claude Max: $8.25 of API use for $200.00")

    table = cli_text("budget", "--month", "2026-03", *c)
    for status in budgets["budgets"]:
        row = next(line for line in table.splitlines() if line.strip().startswith(status["budget"]))
        assert format_usd(Decimal(str(status["spent_usd"]))) in row and format_usd(Decimal(str(status["budget_usd"]))) in row
    assert [status["hard"] for status in budgets["budgets"]] == [False, True]
    assert budgets["plans"][0]["line"] in table

    prices = cli_text("prices", "openai/gpt-4o", "--input-tokens", "1000", "--output-tokens", "100", *c)
    assert f"estimate for 1,000 in / 100 out: {format_usd(Decimal(str(estimate['cost_usd'])))}" in prices

    rows = cli_json("export", "--month", "2026-03", "--format", "json", *c)
    for task, chosen in ((unit, [row for row in rows if row["unit_id"] == "p1"]),
                         (session, [row for row in rows if row["session"] == "cc-1"])):
        assert task["totals"]["calls"] == len(chosen) > 0
        assert Decimal(str(task["totals"]["cost_usd"])) == sum(Decimal(str(row["cost_usd"])) for row in chosen)
    poem = next(row for row in report["by_use_case"] if row["key"] == "poem")
    units = {row["unit_id"] for row in rows if row["use_case"] == "poem"}
    assert per_unit["use_cases"] == [{**per_unit["use_cases"][0], "units": len(units), "cost_usd": poem["cost_usd"]}]
    assert per_unit["use_cases"][0]["cost_per_unit_usd"] == pytest.approx(poem["cost_usd"] / len(units))

    priced = sorted((row for row in rows if row["cost_usd"] is not None), key=lambda row: -row["cost_usd"])
    assert [answer["cost_usd"] for answer in top["calls"]] == [row["cost_usd"] for row in priced[:2]]
    days = sorted(by_day["by_day"], key=lambda row: -row["cost_usd"])[:2]
    assert [(day["day"], day["cost_usd"]) for day in top["days"]] == [(day["key"], day["cost_usd"]) for day in days]
    assert top["unpriced_calls"] == report["totals"]["unpriced_calls"] == 1


def test_every_tool_answers_as_the_cli_does_in_process(config: Path) -> None:
    listed, answers = ask(build_server(CostTools(config=config)), QUESTIONS)
    assert listed == TOOLS
    assert_answers_match_the_cli(config, answers)


def test_tools_say_their_units_and_periods(config: Path) -> None:
    async def listing() -> list[Any]:
        async with Client(build_server(CostTools(config=config))) as client:
            return (await client.list_tools()).tools

    for tool in anyio.run(listing):
        assert "US dollars" in tool.description, tool.name
        schema = json.dumps(tool.input_schema)
        if "period" in tool.input_schema["properties"]:
            assert "configured time zone" in schema and "2026Q1" in schema, tool.name
        assert tool.annotations.read_only_hint is True


@pytest.mark.parametrize("name,args,message", [
    ("get_cost_report", {"period": "last fortnight"}, "is not a period"),
    ("get_cost_report", {"period": "2026-13"}, "MM 01 to 12"),
    ("get_cost_report", {"period": "2026-03", "by": "colour"}, "by must be one of"),
    ("get_task_cost", {"period": "2026-03"}, "name a unit_id or a session"),
    ("get_task_cost", {"unit_id": "p1", "session": "s1"}, "name a unit_id or a session"),
    ("estimate_call_cost", {"model": "acme/mystery-9", "input_tokens": 1, "output_tokens": 1}, "no price known"),
    ("estimate_call_cost", {"model": "openai/gpt-4o", "input_tokens": -1, "output_tokens": 1}, "greater than or equal"),
    ("estimate_call_cost", {"model": "openai/gpt-4o", "input_tokens": 10, "output_tokens": 1,
                            "cache_read_tokens": 20}, "exceed input_tokens"),
    ("get_budget_status", {"period": "2026-W11"}, "no weekly budget"),
    ("get_top_spending", {"limit": 0}, "greater than or equal"),
])
def test_a_bad_question_is_a_tool_error_that_says_why(config: Path, name: str, args: dict, message: str) -> None:
    _, [answer] = ask(build_server(CostTools(config=config)), [(name, args)])
    assert answer.is_error and message in answer.content[0].text


def test_period_words_name_the_periods_the_cli_shortcuts_name(config: Path) -> None:
    import datetime as dt

    tools = CostTools(config=config, now=dt.datetime(2026, 3, 14, 12, tzinfo=dt.timezone.utc))
    settings = tools.settings()
    keys = {word: tools.period(word, settings).key for word in
            ("today", "yesterday", "this month", "last_month", "this-quarter", "last_quarter", "last 7d", "2026-W11")}
    assert keys == {"today": "2026-03-14", "yesterday": "2026-03-13", "this month": "2026-03", "last_month": "2026-02",
                    "this-quarter": "2026Q1", "last_quarter": "2025Q4", "last 7d": "2026-03-08..2026-03-14",
                    "2026-W11": "2026-W11"}


def test_a_broken_config_stops_the_server_before_it_serves(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[plans.max]\nmonthly = 200\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["mcp", "--config", str(bad)])
    assert result.exit_code == 1 and "[plans.max] match must name the calls it covers" in result.output


@pytest.mark.slow
def test_every_tool_answers_as_the_cli_does_over_stdio(config: Path, tmp_path: Path) -> None:
    """The real thing: `vaultledger mcp` as a subprocess, the SDK's stdio client talking to it."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "vaultledger", "mcp", "--config", str(config)], cwd=str(tmp_path),
        env={"VAULTLEDGER_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path / "home")})
    with open(tmp_path / "server.err", "w") as errors:
        listed, answers = ask_with_errlog(params, QUESTIONS, errors)
    assert listed == TOOLS
    assert_answers_match_the_cli(config, answers)
    assert "Traceback" not in (tmp_path / "server.err").read_text()


def ask_with_errlog(params: StdioServerParameters, questions: list, errlog: Any) -> tuple[set[str], list[Any]]:
    from mcp.client.stdio import stdio_client
    from mcp.client.session import ClientSession

    async def session() -> tuple[set[str], list[Any]]:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            listed = await client.list_tools()
            return {tool.name for tool in listed.tools}, [await client.call_tool(name, args) for name, args in questions]

    return anyio.run(session)


@pytest.mark.slow
def test_the_command_says_how_to_install_the_sdk_when_it_is_missing(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    (blocker / "mcp").mkdir(parents=True)
    (blocker / "mcp" / "__init__.py").write_text("raise ImportError('no mcp here')\n")
    result = subprocess.run([sys.executable, "-m", "vaultledger", "mcp"], capture_output=True, text=True,
                            cwd=tmp_path, env={"PYTHONPATH": str(blocker), "HOME": str(tmp_path)}, timeout=60)
    assert result.returncode == 1 and "pip install 'vaultledger[mcp]'" in result.stderr
