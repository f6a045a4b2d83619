"""The system zone is found without pendulum where the platform names it (TZ, /etc/localtime's link
into the zoneinfo tree, Debian's /etc/timezone), and agrees with pendulum, which is asked otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import vaultledger._localzone as localzone


@pytest.fixture
def no_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(localzone, "_LOCALTIME", tmp_path / "localtime")
    monkeypatch.setattr(localzone, "_TIMEZONE_FILE", tmp_path / "timezone")
    return tmp_path


def test_tz_wins_by_name_or_by_path(no_system: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert localzone.local_zone_name() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", ":/usr/share/zoneinfo/America/New_York")
    assert localzone.local_zone_name() == "America/New_York"


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_the_localtime_link_names_the_zone(no_system: Path) -> None:
    tree = no_system / "usr" / "share" / "zoneinfo" / "Europe"
    tree.mkdir(parents=True)
    (tree / "Berlin").write_bytes(b"TZif")
    (no_system / "localtime").symlink_to(tree / "Berlin")
    assert localzone.local_zone_name() == "Europe/Berlin"


def test_debians_timezone_file_then_a_name_that_is_no_zone_is_skipped(no_system: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (no_system / "timezone").write_text("America/Sao_Paulo\n")
    assert localzone.local_zone_name() == "America/Sao_Paulo"
    monkeypatch.setenv("TZ", "Mars/Olympus")  # not a zone: the next source decides
    assert localzone.local_zone_name() == "America/Sao_Paulo"


def test_it_agrees_with_pendulum_on_this_machine_and_log_does_not_load_pendulum(tmp_path: Path) -> None:
    import pendulum

    assert localzone.local_zone_name() == pendulum.local_timezone().name
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULTLEDGER_")}
    probe = ("import atexit, sys\nfrom vaultledger.cli import main\nsys.argv = ['vaultledger', *sys.argv[1:]]\n"
             "atexit.register(lambda: print('pendulum' in sys.modules))\nmain()")
    done = subprocess.run([sys.executable, "-c", probe, "log", "--provider", "openai", "--model", "m",
                           "--input-tokens", "1", "--output-tokens", "1", "--logs", str(tmp_path), "-q"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
