"""Experiments: scenarios, replicates, sweeps and sensitivity, reproducible and resumable.

``spec`` reads and expands an experiment TOML, ``params`` samples parameters, ``executors``
gives an in-process, process-pool or Dask executor, ``runner`` runs and writes each run,
``store`` owns the folder layout, ``analysis`` and ``prim`` reduce the runs, ``cli`` is
``python -m sim experiment``. See README "Experiments".
"""
