"""One module per printer transport, as python-escpos has one per printer class (``escpos/printer/usb.py``, …).

Each module declares ``TRANSPORT``: the ``[printer] type`` name, its driver and its own settings (names, types,
defaults, checks). ``hardware.printer.registry`` finds them all; nothing else lists the transports.
"""
