"""Optimization: the update rules, exponentially weighted averages, schedules, clipping."""
