"""The box's hardware behind small interfaces: printer (python-escpos) and audio (espeak-ng), each with a fake."""
