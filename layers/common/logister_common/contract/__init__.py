"""Logister's wire rules (docs/logister-contract.md). Pure: no AWS, no environment, no clock."""
