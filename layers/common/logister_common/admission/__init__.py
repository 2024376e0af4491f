"""Who may send what, in Logister's pipeline order (contract §0, §5, §6): tokens, credentials, rate limits."""
