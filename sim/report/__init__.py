"""The HTML report and the scenario comparison (``python -m sim report`` / ``compare``).

Imports the model's outputs, never the model's internals; the model never imports this.
"""
