"""One module per public route: request in, answer out."""
