"""logister-admin: the operator CLI for projects, tokens, limits, and what arrived (see admin.cli)."""
