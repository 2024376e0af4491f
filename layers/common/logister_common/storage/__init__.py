"""AWS I/O, and the only modules that import boto3: one module per table, bucket or topic."""
