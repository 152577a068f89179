"""Amaranth hardware of tinyita.

``hw`` depends on Amaranth only: it never imports ``sw``, ``tb`` or ``tinyita``.
"""
