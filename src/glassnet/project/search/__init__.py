"""Random hyperparameter search, as Course 2 teaches it.

The notes' recipe, and where each part lives here:

* **Random, not a grid.**  Each trial draws every hyperparameter independently,
  so N trials try N distinct values of *each* hyperparameter (a grid of N
  points tries only N^(1/k) values of each of k).  :meth:`SearchSpace.sample`.
* **The appropriate scale.**  Linear for the number of layers and of hidden
  units; logarithmic for the learning rate: for alpha in [1e-4, 1] draw
  ``r ~ U[-4, 0]`` and set ``alpha = 10^r``; for an averaging coefficient beta
  in [0.9, 0.999] sample ``1 - beta`` on the log scale: ``r ~ U[-3, -1]``,
  ``beta = 1 - 10^r`` (beta's effect ~ 1/(1 - beta) is sensitive near 1).
  :class:`Param`.
* **Coarse to fine.**  Search a broad region, then zoom into the region of the
  best trials and sample densely there.  :meth:`SearchSpace.zoom`, ``rounds``.
* **Pandas or caviar.**  With few resources one babysits one model
  (``glassnet train`` with its progress bar, checkpoints and ``--resume``);
  with enough, many models train in parallel and the best is picked
  (:func:`run_search`: all local cores through joblib's loky process pool by
  default, ``workers=1`` for one at a time, or a Dask cluster by its scheduler
  address).
* **Optimizing and satisficing metrics** (Course 3): the search maximizes one
  single-number metric subject to ``metric <= value`` constraints; a trial that
  violates a constraint ranks after every trial that satisfies all of them.

A space is a TOML (or YAML/JSON) file::

    [search]
    metric = "dev_accuracy"        # the optimizing metric (maximized)
    trials = 20                    # per round
    rounds = 1                     # > 1: coarse to fine
    seed = 0
    [search.constraints]           # satisficing metrics: metric <= value
    train_seconds = 10.0

    [fixed]                        # constant settings of every trial
    epochs = 20
    optimizer = "adam"
    dev_fraction = 0.2

    [params]                       # the sampled hyperparameters
    learning_rate = { type = "log", low = 1e-4, high = 1e-1 }
    beta1 = { type = "one_minus_log", low = 0.9, high = 0.999 }
    hidden_layers = { type = "int", low = 1, high = 3 }
    hidden_units = { type = "int", low = 16, high = 128 }
    batch_size = { type = "choice", values = [32, 64, 128] }

``hidden_layers`` and ``hidden_units`` combine into the network's ``hidden``
list (``[units] * layers``); every other name is a key of
:func:`glassnet.project.run.run_training`'s configuration.
"""
