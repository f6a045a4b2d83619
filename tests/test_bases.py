"""`vaultledger init --bases`: an Obsidian Bases file that parses as YAML, keeps one kind of note per view
(llm_period) and reads exactly the properties the notes carry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.notes.properties import PROPERTY_KEYS

runner = CliRunner()


def init(*args: str):
    return runner.invoke(app, ["init", *args])


def test_the_base_parses_and_each_view_keeps_one_kind_of_note(vault: Path) -> None:
    result = init("--bases")
    assert result.exit_code == 0, result.output
    base = yaml.safe_load((vault / "LLM usage.base").read_text(encoding="utf-8"))
    periods = []
    for view in base["views"]:
        assert view["type"] == "table"
        period = view["filters"].removeprefix('llm_period == "').removesuffix('"')
        assert view["filters"] == f'llm_period == "{period}"', view["filters"]
        periods.append(period)
        shown = [column for column in view["order"] if column != "file.name"]
        assert shown[0] == "llm_cost_usd" and set(shown) <= set(PROPERTY_KEYS)
        assert set(view["summaries"]) == set(shown) and set(view["summaries"].values()) == {"Sum"}
    assert periods[:2] == ["day", "week"] and len(set(periods)) == len(periods)
    assert {key.removeprefix("note.") for key in base["properties"]} <= set(PROPERTY_KEYS)
    assert "properties = true" in result.output  # the properties are opt-in: say how to turn them on


def test_the_views_read_the_properties_a_rollup_writes(vault: Path, logs_dir: Path, tmp_path: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", cost_usd=1.5))
    config = tmp_path / "vaultledger.toml"
    config.write_text("properties = true\n[notes.weekly]\nenabled = true\n[notes.quarterly]\nenabled = true\n")
    assert runner.invoke(app, ["rollup", "--config", str(config)]).exit_code == 0
    result = init("--bases", "--config", str(config))
    assert result.exit_code == 0 and "properties = true" not in result.output
    base = yaml.safe_load((vault / "LLM usage.base").read_text(encoding="utf-8"))
    for note, period in (("2026-03-14.md", "day"), ("2026-W11.md", "week"), ("2026-Q1.md", "quarter")):
        head = yaml.safe_load((vault / note).read_text(encoding="utf-8").split("---\n")[1])
        assert head["llm_period"] == period and head["llm_cost_usd"] == 1.5
        view = next(view for view in base["views"] if view["filters"] == f'llm_period == "{period}"')
        assert set(view["order"]) - {"file.name"} <= set(head)


def test_an_existing_base_is_replaced_only_with_force(vault: Path) -> None:
    target = vault / "Dashboards" / "Spend.base"
    target.parent.mkdir()
    target.write_text("mine\n")
    refused = init("--bases", "--name", "Dashboards/Spend")
    assert refused.exit_code == 1 and "--force" in refused.output and target.read_text() == "mine\n"
    assert init("--bases", "--name", "Dashboards/Spend", "--force").exit_code == 0
    assert "llm_period" in target.read_text()


@pytest.mark.parametrize("name", ["../outside.base", "a/../../outside.base", "/"])
def test_a_base_never_lands_outside_the_vault(vault: Path, name: str) -> None:
    result = init("--bases", "--name", name)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (vault.parent / "outside.base").exists()


def test_init_needs_something_to_do_and_a_vault(tmp_path: Path, vault: Path) -> None:
    assert init().exit_code == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    result = init("--bases", "--vault", str(plain))
    assert result.exit_code == 1 and "not an Obsidian vault" in result.output
