"""The rules: pure functions of plain data (the plan, the log's state, a moment), no clock, no file."""
