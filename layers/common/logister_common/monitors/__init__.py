"""Check-in monitors: the rules, check-ins applied to monitors, the sweep, the alerts."""
