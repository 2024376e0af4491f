"""Our own diagnostics (rejected submissions) forwarded to a Logister-compatible API."""
