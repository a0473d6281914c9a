"""The technician's tooling: the `contactpoint` command, systemd units, Raspberry Pi bootstrap."""
