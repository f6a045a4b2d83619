"""`vaultledger doctor`: every resolved setting with its source, and every problem we can find."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vaultledger._fs import stale_temp_files_under
from vaultledger.capture.dropped import DROPPED_NAME, dropped_records
from vaultledger.errors import VaultledgerError
from vaultledger.ledger import Ledger
from vaultledger.ledger.archived import archived_prefix, gz_sibling
from vaultledger.ledger.conflicts import pending_copies
from vaultledger.ledger.files import CUT_SHORT, NEIGHBOUR_DAYS, ReadStats, file_day, list_log_files
from vaultledger.ledger.usage import Usage, is_known_tier
from vaultledger.notes.splice import check_note
from vaultledger.notes.vault import NoteSettings, how_to_enable, is_vault, load_note_settings
from vaultledger.ops.archive import TEMP_SUFFIX
from vaultledger.ops.validate import config_problems, logs_folder_problem
from vaultledger.periods import date_range
from vaultledger.reports.problems import Outlier, conflict_problem, cut_files, find_outliers, outlier_text, warnings
from vaultledger.settings import Settings

if TYPE_CHECKING:
    from vaultledger.notes.weeks import NoteWeeks


@dataclass
class Checkup:
    """Lines to show, and the problems among them (any problem makes `doctor` exit 1)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def problem(self, line: str) -> None:
        if line not in self.problems:  # two checks may find the same thing (note settings, say)
            self.problems.append(line)


def run_checkup(settings: Settings) -> Checkup:
    checkup = Checkup()
    _settings_lines(settings, checkup)
    _vault_lines(settings, checkup)
    _log_lines(settings, checkup)
    _leftover_lines(settings, checkup)
    _source_lines(settings, checkup)
    _schedule_lines(settings, checkup)
    _cache_lines(settings, checkup)
    return checkup


def _settings_lines(settings: Settings, checkup: Checkup) -> None:
    checkup.say(f"config:    {settings.config_path.value or '(none)'}  [{settings.config_path.source}]")
    checkup.say(f"vault:     {settings.vault.value or '(not set)'}  [{settings.vault.source}]")
    checkup.say(f"logs:      {settings.logs.value}  [{settings.logs.source}]")
    checkup.say(f"timezone:  {settings.timezone.value}  [{settings.timezone.source}]")
    checkup.say(f"cache:     {settings.cache_dir.value}  [{settings.cache_dir.source}]")
    checkup.say(f"host:      {settings.host.value or '(plain day files)'}  [{settings.host.source}]")
    for key in settings.unknown_keys:
        checkup.problem(f"{settings.config_label}: unknown config key {key!r}")
    for problem in config_problems(settings):  # exactly what every other command refuses to start with
        checkup.problem(problem)


def _vault_lines(settings: Settings, checkup: Checkup) -> None:
    vault = settings.vault.value
    if vault is None:
        checkup.say("vault:     none configured (rollup needs --vault or VAULTLEDGER_VAULT)")
        _week_lines(settings, None, "gggg-[W]ww", checkup)
        return
    if not is_vault(vault):
        checkup.problem(f"{vault}: not an Obsidian vault (no .obsidian/ folder)")
        return
    try:
        notes = load_note_settings(vault, settings.notes)
    except VaultledgerError as error:
        checkup.problem(str(error))
        return
    for kind, note in notes.items():
        state = "" if note.enabled else " (off)"
        checkup.say(f"{kind + ':':<10} {note.folder or '/'} + {note.format}{state}  [{note.source}]")
    _note_marker_lines(vault, checkup)
    weeks = _week_lines(settings, vault, notes["weekly"].format, checkup)
    _ignored_plugin_lines(vault, checkup)
    _template_lines(vault, notes, checkup)
    if weeks is not None:
        _note_kind_lines(settings, vault, notes, weeks, checkup)


def _note_marker_lines(vault: Path, checkup: Checkup) -> None:
    """Notes whose markers are unbalanced or doubled are never touched by a rollup: say which."""
    for note in sorted(vault.rglob("*.md")):
        if ".obsidian" in note.parts or ".trash" in note.parts:
            continue
        try:
            text = note.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "vaultledger:" not in text:
            continue
        for problem in check_note(text):
            checkup.problem(f"{note}:{problem}")


def _week_lines(settings: Settings, vault: Path | None, weekly_format: str, checkup: Checkup) -> NoteWeeks | None:
    """The locale and week rules notes are named with, where each came from, and where the config makes
    vaultledger count unlike Obsidian."""
    from vaultledger.notes.weeks import note_weeks

    try:
        weeks = note_weeks(settings, weekly_format, vault)
    except VaultledgerError as error:
        checkup.problem(str(error))
        return None
    checkup.say(f"locale:    {weeks.locale.name}  [{weeks.locale_source}]")
    tokens = "" if weeks.period_rule == weeks.locale_rule else f" ({weekly_format}); gggg/ww: {weeks.locale_rule}"
    checkup.say(f"weeks:     {weeks.period_rule}{tokens}  [{weeks.week_start_source}]")
    for problem in weeks.vault.problems:
        checkup.problem(problem)
    for disagreement in weeks.disagreements():
        checkup.say(f"warning:   {disagreement}")
    return weeks


def _ignored_plugin_lines(vault: Path, checkup: Checkup) -> None:
    from vaultledger.notes.obsidian import CALENDAR, PERIODIC_NOTES, ignored_plugin_data

    for plugin in (PERIODIC_NOTES, CALENDAR):
        ignored = ignored_plugin_data(vault, plugin)
        if ignored is not None:
            checkup.say(f"note:      {ignored} is not read: the {plugin} plugin is not enabled in "
                        "community-plugins.json, so Obsidian does not use it either")


def _template_lines(vault: Path, notes: dict[str, NoteSettings], checkup: Checkup) -> None:
    """Templates that are missing, and templates using Templater, which vaultledger cannot run."""
    from vaultledger.notes.lookup import VaultFiles
    from vaultledger.notes.templates import template_file, uses_templater

    files = VaultFiles(vault)
    for kind, note in notes.items():
        if not note.enabled or not note.template:
            continue
        template = template_file(vault, note, files)
        if template is None:
            checkup.problem(f"{kind} note template {note.template!r} ({note.source}) is not in the vault: "
                            "new notes start empty")
        elif uses_templater(template.read_text(encoding="utf-8", errors="replace")):
            choice = ("left for Obsidian to create" if note.templater == "skip" else
                      "created with its Templater commands unrun until Templater runs them; "
                      "[notes] templater = \"skip\" leaves creating them to Obsidian")
            checkup.say(f"template:  {template} uses Templater (<% … %>): new {kind} notes are {choice}")


def _note_kind_lines(
    settings: Settings, vault: Path, notes: dict[str, NoteSettings], weeks: NoteWeeks, checkup: Checkup
) -> None:
    """Kinds of notes that are off although there is usage, and notes no rollup updates any more."""
    from vaultledger.notes.leftovers import leftover_notes

    days = [log.day for log in list_log_files(settings.logs.value)] if settings.logs.value.is_dir() else []
    off = [kind for kind, note in notes.items() if not note.enabled]
    if days and off:
        checkup.say(f"note:      {how_to_enable(off, vault)}")
    years = {day.year for day in days} | {dt.date.today().year}
    for leftover in leftover_notes(vault, notes, weeks, years):
        checkup.problem(str(leftover))


def _log_lines(settings: Settings, checkup: Checkup) -> None:
    logs_dir = settings.logs.value
    missing = logs_folder_problem(settings)
    if missing:
        checkup.problem(missing)
        return
    files = list_log_files(logs_dir)
    _archive_lines(logs_dir, checkup)
    for pending in pending_copies(logs_dir):
        checkup.problem(conflict_problem(pending))
    ledger = Ledger.from_settings(settings)
    usage = Usage()
    outliers: list[Outlier] = []
    if files:
        # The whole folder through the ledger every report reads with: the same problems, the same duplicates.
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        everything = date_range(files[0].day - margin, files[-1].day + margin)
        usage, outliers = ledger.usage(everything), find_outliers(ledger, everything)
    stats = ledger.stats
    checkup.say(f"log files: {len(files)}, {stats.lines:,} lines, {stats.duplicates:,} duplicates, "
                f"{stats.partial_lines} partial last line(s)")
    located = [problem for problem in stats.problems if not problem.reason.startswith(CUT_SHORT)]
    for problem in [*map(str, cut_files(stats)), *map(str, located), *map(outlier_text, outliers)]:
        checkup.problem(problem)
    if stats.invalid_lines > len(stats.problems):
        checkup.problem(f"... and {stats.invalid_lines - len(stats.problems):,} more invalid lines")
    for ref, calls in sorted(usage.unpriced_models().items()):
        checkup.problem(f"unknown model {ref} ({calls:,} calls unpriced): add a [[prices]] entry to the config")
    for line in warnings(ReadStats(), (), usage):  # tier fallbacks and guessed providers: worth knowing, not wrong
        checkup.say(f"note: {line}")
    for tier, calls in sorted(unknown_tiers(usage).items()):
        checkup.problem(f"unknown service tier {tier!r} ({calls:,} calls, priced as standard): SPEC tiers are "
                        "standard, batch, flex and priority")


def _leftover_lines(settings: Settings, checkup: Checkup) -> None:
    """Calls the logger could not write, and temp files a killed write left in the vault or the cache."""
    dropped = dropped_records(settings.logs.value)
    if dropped.count:
        checkup.problem(f"{dropped} (see {settings.logs.value / DROPPED_NAME})")
    folders = [folder for folder in (settings.vault.value, settings.cache_dir.value) if folder and folder.is_dir()]
    for temp in [temp for folder in folders for temp in stale_temp_files_under(folder)]:
        checkup.problem(f"{temp}: a temp file left by a write that was killed (the next rollup removes it)")


def _archive_lines(logs_dir: Path, checkup: Checkup) -> None:
    """Days left with both a .jsonl and its .gz, and temp files of an archive that was cut short."""
    for plain in sorted(logs_dir.glob("*.jsonl")):
        if not gz_sibling(plain).is_file() or file_day(plain) is None:
            continue
        size, done = plain.stat().st_size, archived_prefix(plain)
        if done == size:
            checkup.problem(f"{plain.name} is already inside {gz_sibling(plain).name} (an archive was cut short); "
                            "it counts once, and `vaultledger archive` removes it")
        elif done:
            checkup.problem(f"{plain.name}: its first {done:,} bytes are already inside {gz_sibling(plain).name}; "
                            "`vaultledger archive` joins only the rest")
        else:
            checkup.say(f"archive:   {plain.name} holds calls logged after the day was archived; "
                        "the next `vaultledger archive` joins them")
    for temp in sorted(logs_dir.glob(f".*{TEMP_SUFFIX}")):
        checkup.say(f"archive:   {temp.name} is left from an archive that was cut short; the next one removes it")


def unknown_tiers(usage: Usage) -> dict[str, int]:
    """Calls per service tier that SPEC §1 does not name (they are priced as standard)."""
    tiers: dict[str, int] = {}
    for key, sums in usage.groups.items():
        if not is_known_tier(key.service_tier):
            tiers[str(key.service_tier)] = tiers.get(str(key.service_tier), 0) + sums.calls
    return tiers


def _source_lines(settings: Settings, checkup: Checkup) -> None:
    """Each source the nightly run imports: where it reads, its calls in the ledger, how far back its
    files go, and what it holds that is not in the ledger yet (a dry-run import)."""
    from vaultledger.capture.importers import default_roots_of, found_on_this_machine
    from vaultledger.capture.importers.sources import configured_sources, found_elsewhere

    try:
        configured = configured_sources(settings)
    except VaultledgerError:
        return  # the config's problem is listed with the settings
    calls = _calls_by_app(settings) if configured else {}
    for name in configured:
        roots = ", ".join(f"{root}{'' if root.exists() else ' (not there)'}" for root in default_roots_of(name))
        checkup.say(f"import:    {name} reads {roots}")
        if not found_on_this_machine(name):
            checkup.problem(f"import {name}: its logs are not on this machine; take it out of [import] sources, "
                            "or use sources = \"auto\" (every tool found)")
            continue
        _source_counts(settings, name, calls.get(name, 0), checkup)
    for name in found_elsewhere(configured):
        checkup.say(f"import:    {name} logs are on this machine but not imported automatically: add it to "
                    "[import] sources (or sources = \"auto\")")


def _source_counts(settings: Settings, name: str, calls: int, checkup: Checkup) -> None:
    from vaultledger.capture.importers.sources import import_sources, session_files

    files = session_files(name)
    kept = "" if files is None else f"; {files.count:,} files on disk" + (
        f", the oldest last written {files.oldest.astimezone().date().isoformat()}" if files.oldest else "")
    checkup.say(f"import:    {name}: {calls:,} calls in the ledger{kept}")
    [dry] = import_sources(settings, [name], dry_run=True)
    if dry.summary is None:
        checkup.problem(f"import {name}: {dry.error}")
    elif dry.summary.appended:
        checkup.say(f"import:    warning: {name} holds {dry.summary.appended:,} calls not yet in the ledger; the "
                    f"nightly rollup imports them (or now: vaultledger import {name})")


def _calls_by_app(settings: Settings) -> dict[str, int]:
    """Calls per `app` in the whole ledger: importers mark their records with the source's name."""
    files = list_log_files(settings.logs.value) if settings.logs.value.is_dir() else []
    if not files:
        return {}
    margin = dt.timedelta(days=NEIGHBOUR_DAYS)
    usage = Ledger.from_settings(settings).usage(date_range(files[0].day - margin, files[-1].day + margin))
    return {str(app): sums.calls for app, sums in usage.by("app")}


# The nightly run is late when it has not succeeded for longer than this.
NIGHTLY_OVERDUE = dt.timedelta(days=2)
CACHE_SAMPLE_FILES = 3


def _schedule_lines(settings: Settings, checkup: Checkup) -> None:
    from vaultledger.notes.nightly import STATE_FILE
    from vaultledger.schedule import read_record, status

    try:
        text = status(settings)
    except VaultledgerError as error:
        checkup.say(f"schedule:  could not ask the scheduler ({error})")
        return
    for line in text.splitlines():
        checkup.say(f"schedule:  {line}")
    state = settings.cache_dir.value / STATE_FILE
    if read_record(settings.cache_dir.value) and state.exists():
        age = dt.datetime.now() - dt.datetime.fromtimestamp(state.stat().st_mtime)
        if age > NIGHTLY_OVERDUE:
            checkup.problem(f"the nightly rollup last succeeded {age.days} days ago (see its log in "
                            f"{settings.cache_dir.value})")


def _cache_lines(settings: Settings, checkup: Checkup) -> None:
    """Re-fold the newest files and compare with their cache entries: a stale entry is a bug to report."""
    from vaultledger.ledger.cache import FoldCache, file_signature, fingerprint
    from vaultledger.ledger.fold import fold_log_file

    ledger = Ledger.from_settings(settings)
    cache = FoldCache(settings.cache_dir.value, fingerprint(ledger.tz, ledger.book.overrides))
    checked = 0
    for log in reversed(list_log_files(settings.logs.value)[-CACHE_SAMPLE_FILES:]):
        cached = cache.load(log.path, file_signature(log.path))
        if cached is None:
            continue
        checked += 1
        fresh = fold_log_file(log.path, ledger.book, ledger.tz)
        if fresh.days != cached.days:
            checkup.problem(f"cache entry for {log.path.name} does not match the log; delete {cache.folder}")
    entries = list(cache.folder.glob("*.msgpack")) if cache.folder.is_dir() else []
    size = sum(entry.stat().st_size for entry in entries)
    # Files, not folds: older days' folds share a file per month, beside month and verdict entries.
    files = f"{len(entries)} entry file{'' if len(entries) == 1 else 's'}"
    checkup.say(f"cache:     {files}, {size / 1024:,.0f} KB; newest {checked} checked against the logs")
