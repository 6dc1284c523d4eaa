"""The bottom layer: names, errors, input checking, column tables, random streams, provenance.

Nothing here knows about the model; every other layer may import it.
"""
