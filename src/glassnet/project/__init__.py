"""Projects: the run configuration, a run, hyperparameter search, strategy, error analysis."""
