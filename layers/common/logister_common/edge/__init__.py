"""The HTTP edge: API Gateway requests in, JSON answers out; exceptions become answers in one place."""
