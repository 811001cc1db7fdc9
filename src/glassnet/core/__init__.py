"""The foundation: the array namespace, errors, atomic files, the registry and compiled kernels."""
