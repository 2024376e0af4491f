"""Benchmarks (`make bench`)."""

# What the Lambda runtime sets that the functions read, for benchmarks run outside Lambda.
LAMBDA_LIKE_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "logister",
    "POWERTOOLS_METRICS_NAMESPACE": "Logister",
}
