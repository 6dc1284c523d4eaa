"""The interactive workshop app (``python -m sim app``): Solara page over the model.

``sim.app.session`` holds what the page needs without any web framework (choices → config,
a scenario and its baseline stepped side by side, the tables shown), so it is tested
directly; ``sim.app.page`` is the Solara page; ``sim.cli.app`` serves it on 127.0.0.1.
The model never imports this package.
"""
