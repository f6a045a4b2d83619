"""Log every GenAI span of an OpenTelemetry-instrumented app: `pip install 'vaultledger[otel]'`, then

    import vaultledger.otel
    vaultledger.otel.install(app="mybot")

See `vaultledger.capture.otel` (the exporter) and `vaultledger.capture.spans` (what is read of a span).
"""

from vaultledger.capture.otel import VaultledgerSpanExporter, install, record_of_span

__all__ = ["VaultledgerSpanExporter", "install", "record_of_span"]
