"""TCDM (tightly coupled data memory) interfaces.

A *lane* is one bank-width port: ``req``/``gnt`` for the request, read data valid one cycle
after a granted read. ``we`` is active high (1 = write): the opposite of HWPE's ``wen``, whose
1 means read. A *wide port* is an array of lanes (``Out(TCDMSignature()).array(lanes)``) that
address consecutive words; each lane is granted on its own (an interconnect may grant them
together) and an access is complete when every lane was. A *beat port* carries whole rows of
several lanes between a streamer and the lane multiplexer.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["TCDMSignature", "BeatPortSignature", "LANE_BITS"]

#: Width of a bank (one lane).
LANE_BITS = 64


class TCDMSignature(wiring.Signature):
    """One bank-width TCDM port, master view.

    Members
    -------
    req : Out(1), gnt : In(1)
        A request is taken in a cycle with both high.
    addr : Out(addr_bits)
        Byte address of a ``data_bits`` word (aligned).
    we : Out(1)
        1 = write.
    be : Out(data_bits // 8)
        Byte enables of a write.
    wdata : Out(data_bits)
    rvalid : In(1), rdata : In(data_bits)
        Read data, one cycle after the grant of a read.
    """

    def __init__(self, addr_bits: int = 32, data_bits: int = LANE_BITS):
        super().__init__({
            "req": Out(1), "gnt": In(1), "addr": Out(addr_bits), "we": Out(1),
            "be": Out(data_bits // 8), "wdata": Out(data_bits),
            "rvalid": In(1), "rdata": In(data_bits),
        })


class BeatPortSignature(wiring.Signature):
    """A streamer's request for one beat of ``lanes`` consecutive words, master view.

    Members
    -------
    req : Out(1), gnt : In(1)
        The beat is taken when every lane has been granted (``gnt`` pulses then, and only
        while ``req`` is high); ``addr``, ``we`` and ``wdata`` hold until it.
    addr : Out(addr_bits)
        Byte address of the first word.
    we : Out(1), wdata : Out(lanes * 64)
    rvalid : In(1), rdata : In(lanes * 64)
        The whole beat read, once every lane's data has arrived.
    """

    def __init__(self, lanes: int, addr_bits: int = 32):
        super().__init__({
            "req": Out(1), "gnt": In(1), "addr": Out(addr_bits), "we": Out(1),
            "wdata": Out(lanes * LANE_BITS), "rvalid": In(1), "rdata": In(lanes * LANE_BITS),
        })
