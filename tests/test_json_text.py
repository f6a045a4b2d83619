"""json_text writes what `json.dumps(document, indent=2, ensure_ascii=False)` writes, byte for byte:
scripts read `report --format json`, and its text did not change when msgspec began writing it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultledger.reports.json_text import json_text

scalars = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e-05, 1.5e17, 2.5e-07, -0.0, 1e16])
           | st.text())
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                         | st.dictionaries(st.text(), inner, max_size=4), max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_the_text_is_json_dumps_text(document: object) -> None:
    assert json_text(document) == json.dumps(document, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("document", [float("nan"), [float("inf")], {"cost": -float("inf")}, {1: "x"},
                                      {"cost": __import__("decimal").Decimal("1.5")}, {"when": object()}])
def test_what_no_report_document_holds_is_refused(document: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        json_text(document)
