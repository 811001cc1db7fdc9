"""Models: the sequential network, its output, ready-made builders, saving, transfer, the zoo."""
