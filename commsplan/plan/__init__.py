"""The plan: its model, the YAML reader that keeps positions, loading and checking, name look-up."""
