"""The 32-bit register bus the cores use to program peripherals."""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["RegBusSignature"]


class RegBusSignature(wiring.Signature):
    """A register-bus initiator (master view): one access per cycle, always taken; read data
    one cycle later.

    Members
    -------
    req : Out(1), we : Out(1)
    addr : Out(addr_bits)
        Byte offset of a 32-bit register.
    wdata : Out(32)
    id : Out(id_bits)
        Which core makes the access.
    rvalid : In(1), rdata : In(32)
        The data of the read of the previous cycle.
    """

    def __init__(self, addr_bits: int = 8, id_bits: int = 3):
        super().__init__({
            "req": Out(1), "we": Out(1), "addr": Out(addr_bits), "wdata": Out(32),
            "id": Out(id_bits), "rvalid": In(1), "rdata": In(32),
        })
