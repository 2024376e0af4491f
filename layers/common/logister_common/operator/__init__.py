"""What only the operator CLI and `make dev` use (provisioning, reads); never on the request path."""
