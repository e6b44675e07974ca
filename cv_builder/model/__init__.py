"""Model stage: the YAML read with every value located (load), the typed CV (cv), its JSON Schema, variants."""
