"""The department catalog, the rules and the emphasis; the shipped YAML seeds them."""
