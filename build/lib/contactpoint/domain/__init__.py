"""The domain core: tickets, queue ordering, numbering and figures.

Pure Python: no Flask, no IO, no clock. Everything that varies (the time, random ids) is passed in,
so every rule here is deterministic and tested fastest.
"""
