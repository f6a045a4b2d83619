"""Log every LiteLLM call: `pip install 'vaultledger[litellm]'`, then

    import litellm, vaultledger.litellm
    litellm.callbacks = [vaultledger.litellm.VaultledgerLogger(app="mybot")]

See `vaultledger.capture.litellm`.
"""

from vaultledger.capture.litellm import VaultledgerLogger, install, record_of_payload

__all__ = ["VaultledgerLogger", "install", "record_of_payload"]
