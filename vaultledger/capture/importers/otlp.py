"""`vaultledger import otlp FILE`: GenAI spans from the OpenTelemetry Collector's file exporter.

A team that outgrows one machine sends every service's spans to one Collector, whose `file` exporter
writes OTLP JSON, one ExportTraceServiceRequest per line (`capture/otlp.py` reads it). Each model-call
span becomes the record the live exporter (`vaultledger.otel`) would have written for it
(`capture/spans.py`), with the response id, or else `otel:TRACE:SPAN`, as its id: importing a file
again, or a file of spans also exported live, appends nothing. FILE may be a folder of rotated files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from vaultledger.capture.importers import (
    Advance, ImportRun, ImportSummary, SourceNotFound, existing_roots, jsonl_files, read_lines,
)
from vaultledger.capture.importers.file_batch import import_files
from vaultledger.capture.logger import UsageLog
from vaultledger.capture.otlp import NotTraceData, spans_of_request
from vaultledger.capture.spans import fields_from_span

SOURCE = "otlp"
NEEDS_PATH = True  # a Collector writes wherever its config says: `import otlp` always names the file
NOT_A_CALL = "spans without GenAI usage (not model calls)"


def default_roots(env: Mapping[str, str] = os.environ) -> list[Path]:
    """None (NEEDS_PATH)."""
    return []


def found_on_this_machine(env: Mapping[str, str] = os.environ) -> bool:
    """Never part of `auto`: there is no usual place to find OTLP files."""
    return False


def import_otlp(path: Path | None, usage_log: UsageLog, state_dir: Path, progress: bool = False) -> ImportSummary:
    """Append one record per model-call span not imported before; return what happened."""
    if path is None:
        raise SourceNotFound("OTLP spans have no usual place: pass the file the Collector's file exporter writes")
    roots = existing_roots([path], "OTLP JSON file")
    files = sorted({*jsonl_files(roots, "*.json"), *jsonl_files(roots, "*.jsonl")})
    return import_files(SOURCE, usage_log, state_dir, files, import_file, "Importing OTLP spans", progress)


def import_file(path: Path, run: ImportRun, advance: Advance) -> None:
    for line in read_lines(path, advance):
        if not line.strip():
            continue
        try:
            request = msgspec.json.decode(line)
            spans = list(spans_of_request(request))
        except msgspec.DecodeError:
            run.skip("not JSON (a partial or corrupt line)")
            continue
        except NotTraceData as error:
            run.skip(str(error))
            continue
        for span in spans:
            fields = fields_from_span(span)
            if fields is None:
                run.skip(NOT_A_CALL)
            elif not span.end_ns:
                run.skip("model-call span without an end time")
            else:
                run.offer(fields)
