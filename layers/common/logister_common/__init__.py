"""Shared package of logister-serverless: the logic every Lambda function imports."""
