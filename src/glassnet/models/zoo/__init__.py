"""The classic networks of Course 4 with their published parameter counts."""
