"""One module per provider body shape, each with `matches(body)` and `extract(body)`; `body` holds the
helpers they share and `providers` the guess of a provider from a model name."""
