"""cli.lean (and the stand-ins of _imports it uses): the fast path's imports without the modules they
would load for nothing. Each test runs a fresh interpreter: what is loaded is the point."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fresh import printed


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="pathlib of 3.13 imports urllib.parse only in as_uri()")
def test_pathlib_loads_without_urllib_parse_and_paths_still_become_uris() -> None:
    assert printed(
        "import sys\nfrom vaultledger.cli.lean import import_pathlib_lean\nimport_pathlib_lean()\n"
        "print('pathlib' in sys.modules, 'urllib.parse' in sys.modules, 'ipaddress' in sys.modules)\n"
        "import pathlib\nprint(pathlib.PurePosixPath('/a b/ü').as_uri())\n"
        "import urllib.parse\nprint(urllib.parse.urlsplit('https://example.org/x?y=1').query,"
        " urllib.parse.quote_from_bytes is pathlib.urlquote_from_bytes)\n"
    ) == ["True False False", "file:///a%20b/%C3%BC", "y=1 False"]


def test_msgspec_loads_without_its_schema_writer_inspect_or_typing_extensions() -> None:
    """msgspec's schema writer (and the textwrap it uses) comes in when a JSON schema is first asked
    for, through the stand-in msgspec.json took (the schema itself is compared in the next test)."""
    assert printed(
        "import sys\nfrom vaultledger.cli.lean import import_msgspec_lean\nimport_msgspec_lean()\n"
        "print(sorted(m for m in ('textwrap', 'typing_extensions', 'inspect', 'msgspec.inspect', 'msgspec._json_schema',"
        " 'msgspec.toml', 'msgspec.yaml') if m in sys.modules))\n"
        "import msgspec\nclass Call(msgspec.Struct):\n    \"A call.\"\n    tokens: int\n"
        "msgspec.json.schema(Call)\nprint('textwrap' in sys.modules)\n"
    ) == ["[]", "True"]


def test_a_documented_schema_is_the_same_with_and_without_the_stand_in() -> None:
    probe = ("import sys\n{lean}import msgspec\nclass Call(msgspec.Struct):\n    '''A call.\n\n        Indented.'''\n"
             "    tokens: int\nprint(msgspec.json.encode(msgspec.json.schema(Call)).decode())\n")
    lean = printed(probe.format(lean="from vaultledger.cli.lean import import_msgspec_lean\nimport_msgspec_lean()\n"))
    assert lean == printed(probe.format(lean=""))
    assert "Indented." in lean[0]


def test_the_parts_of_msgspec_loaded_later_are_the_real_ones() -> None:
    assert printed(
        "import sys\nfrom vaultledger.cli.lean import import_msgspec_lean\nimport_msgspec_lean()\n"
        "import msgspec\ninfo = msgspec.inspect.type_info(list[int])\n"
        "import msgspec.inspect\nprint(type(info).__name__, info.item_type == msgspec.inspect.IntType(),"
        " msgspec.inspect is sys.modules['msgspec.inspect'], msgspec.yaml.decode(b'a: 1') == {'a': 1})\n"
    ) == ["ListType True True True"]


def test_an_import_the_stand_ins_cannot_serve_is_done_the_usual_way(tmp_path: Path) -> None:
    """A module that asks more of a stand-in than it holds is imported again without it, and works."""
    (tmp_path / "asks_more.py").write_text("from urllib.parse import quote_from_bytes, urlsplit\n"
                                           "PATH = urlsplit('https://example.org/p').path\n")
    assert printed(
        "import sys\nfrom vaultledger import _imports\n"
        "_imports.import_with('asks_more', {'urllib.parse': _imports.forwarding('urllib.parse', 'quote_from_bytes')})\n"
        "import asks_more, urllib.parse\n"
        "print(asks_more.PATH, asks_more.urlsplit is urllib.parse.urlsplit, type(sys.modules['urllib.parse']).__name__)\n",
        cwd=tmp_path,
    ) == ["/p True module"]


def test_a_stand_in_asked_during_the_import_it_stands_in_for_gives_way_to_the_real_module(tmp_path: Path) -> None:
    (tmp_path / "uses_at_once.py").write_text("import textwrap\nTEXT = textwrap.dedent('  a\\n  b')\n")
    assert printed(
        "import sys\nfrom vaultledger import _imports\n"
        "_imports.import_with('uses_at_once', {'textwrap': _imports.forwarding('textwrap')})\n"
        "import uses_at_once, textwrap\nprint(repr(uses_at_once.TEXT), sys.modules['textwrap'] is textwrap,"
        " textwrap.dedent.__module__)\n",
        cwd=tmp_path,
    ) == ["'a\\nb' True textwrap"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="datetime.py of 3.12 is built from the C module's names already")
def test_datetime_from_the_c_module_alone_is_the_module_a_plain_import_makes() -> None:
    """The same public names and objects as datetime.py leaves once it has replaced its pure-Python
    classes, a spec, file and loader of its own, and objects that pickle and print as before; the
    pure-Python classes are never made."""
    probe = ("import sys\n{lean}import datetime, pickle, importlib.util\n"
             "print(sorted(name for name in vars(datetime) if not name.startswith('_') and name != 'sys'))\n"
             "print(datetime.datetime.__module__, datetime.__all__, datetime.__spec__.name, datetime.__file__.endswith('datetime.py'),"
             " importlib.util.find_spec('datetime').origin == datetime.__file__)\n"
             "moment = datetime.datetime(2026, 3, 14, 23, 59, 58, tzinfo=datetime.timezone.utc)\n"
             "print(pickle.loads(pickle.dumps(moment)) == moment, repr(moment), datetime.date.fromisoformat('2026-03-15'))\n")
    lean = printed(probe.format(lean="from vaultledger.cli.lean import import_datetime_lean\nimport_datetime_lean()\n"
                                     "print('__builtins__' in sys.modules['datetime'].__dict__)\n"))  # its body never ran
    assert lean[0] == "False"
    assert lean[1:] == printed(probe.format(lean=""))


def test_the_fast_path_never_runs_the_pure_python_datetime() -> None:
    assert printed(
        "import sys\nsys.argv = ['vaultledger', '--version']\nimport atexit\n"
        "atexit.register(lambda: print(sys.version_info >= (3, 12) or '__builtins__' not in sys.modules['datetime'].__dict__))\n"
        "from vaultledger.cli import main\nmain()\n"
    )[-1] == "True"
