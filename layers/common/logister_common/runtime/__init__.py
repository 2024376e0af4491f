"""Per container: settings read from the environment, the clock, our own logs and metrics."""
