"""Software of tinyita: the golden model, the RV32 assembler and the kernel compiler.

``sw`` may read ``hw``'s configuration objects; it never imports ``tb`` or ``tinyita``.
"""
