"""Local emulation of the deployed stack (API Gateway HTTP API + Lambda + DynamoDB + S3) for `make dev`.

Everything is derived from template.yaml, so the local stack cannot drift from the deployed one.
"""
