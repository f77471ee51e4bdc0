"""Virtual winkmon sensors on bumble, and a bleak backend to reach them.

See ``docs/virtual-sensor.md``.
"""
