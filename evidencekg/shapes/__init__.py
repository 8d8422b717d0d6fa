"""Checking data: SHACL validation and the statcheck-like consistency checks."""
