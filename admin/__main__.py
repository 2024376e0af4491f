"""`python -m admin`: the same as the `logister-admin` console script."""

from admin.cli import main

main()
