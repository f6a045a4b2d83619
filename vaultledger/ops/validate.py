"""One validation of the settings: every command runs it before it starts, and `doctor` lists all it finds.

Each part of the config is checked by the code that uses it (budgets by `parse_budgets`, prices by
`parse_price_overrides` …), so a value one command would reject is rejected by all of them, with the
same words. `vaultledger log` and `log_usage()` skip it: a wrong budget must not stop calls being logged.
"""

from __future__ import annotations

from vaultledger.errors import ConfigError, VaultledgerError
from vaultledger.settings import Settings


def config_problems(settings: Settings) -> list[str]:
    """Every problem of the settings, one line each (one per part of the config at most)."""
    problems = list(settings.problems)
    for check in (_budgets, _alerts, _prices, _notes, _imports):
        try:
            check(settings)
        except VaultledgerError as error:
            problems.append(str(error))
    return problems


def require_valid(settings: Settings) -> Settings:
    """The settings, or a ConfigError naming every problem (what commands call)."""
    problems = config_problems(settings)
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


def logs_folder_problem(settings: Settings) -> str | None:
    """A logs folder that does not exist: a typo shows $0.00 otherwise, without a word."""
    logs = settings.logs.value
    if logs.is_dir():
        return None
    what = "is not a folder" if logs.exists() else "does not exist"
    return (f"logs folder {logs} {what} (from {settings.logs.source}); nothing is counted until calls are "
            "logged there, or point --logs, VAULTLEDGER_LOGS or the config's 'logs' at your logs")


# The imports below sit inside each check: a config without that table costs nothing to start.


def _budgets(settings: Settings) -> None:
    if settings.budgets or settings.plans:
        from vaultledger.budgets import budgets_from

        budgets_from(settings)


def _alerts(settings: Settings) -> None:
    if settings.alerts:
        from vaultledger.budgets.alerts import parse_alerts

        parse_alerts(settings.alerts, settings.config_label)


def _prices(settings: Settings) -> None:
    if settings.prices:
        from vaultledger.pricing import parse_price_overrides

        parse_price_overrides(list(settings.prices), settings.config_label)


def _notes(settings: Settings) -> None:
    """The `[notes.*]` tables, read with the vault's own settings as `rollup` reads them."""
    vault = settings.vault.value
    if vault is None:
        return
    from vaultledger.notes.vault import is_vault, load_note_settings

    if is_vault(vault):
        load_note_settings(vault, settings.notes)



def _imports(settings: Settings) -> None:
    if settings.imports:
        from vaultledger.capture.importers.sources import parse_import_sources

        parse_import_sources(settings.imports, settings.config_label)
