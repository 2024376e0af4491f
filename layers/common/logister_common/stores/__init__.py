"""The only modules that talk to AWS: one per store."""
