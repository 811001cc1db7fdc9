"""The glassnet command line."""
