"""One module per provider body shape, each with `matches(body)` and `extract(body, told)`; `body` holds
the helpers they share, `providers` the guess of a provider from a model name, `hosts` the provider
behind a base URL, and `settle` the capping of counts no valid record could hold."""
