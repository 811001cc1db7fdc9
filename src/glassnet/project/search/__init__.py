"""Random hyperparameter search (Course 2): the space, the trials, the report."""
