"""The events stream's consumer, after acceptance: listings of what arrived, error groups."""
