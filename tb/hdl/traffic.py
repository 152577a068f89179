"""A random L1 initiator that checks every answer: test hardware for the interconnect's stress
bench (:mod:`tb.cluster.l1_stress`)."""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from hw.bus import TCDMSignature

from .lfsr import Xorshift

__all__ = ["TrafficGenerator"]


class TrafficGenerator(wiring.Component):
    """Random reads and writes by one L1 initiator inside its own region, each read checked
    against a shadow copy of the region.

    Every request has a random word offset in the region (so it goes to a random bank), read or
    write, byte enables, data that names the initiator, and for a wide port a random non-empty
    set of lanes on consecutive words (wrapping inside the region). A request holds until it is
    granted. As the generator is the only writer of its region, a read must return what the
    shadow holds; a wrong word, a lost or misplaced write, a read answered twice, late or never
    all show as an error.

    Parameters
    ----------
    ident : int
        Identifies the initiator in its write data (0..255).
    lanes, width : int
        Lanes of ``width`` bits (32: a core's port; 64: lanes of a wide port).
    base, size : int
        The region: byte address and bytes (powers of two, ``base`` a multiple of ``size``).

    Members
    -------
    port : Out(TCDMSignature(32, width)).array(lanes)
    seed : In(32)
        Loaded while ``enable`` is low.
    enable : In(1)
        Issue requests; when it falls, the request in flight completes.
    idle : In(4)
        A new request waits a cycle with probability ``idle / 16``.
    inject : In(2)
        Faults to prove the checks: bit 0 flips bit 0 of lane 0's read data, bit 1 drops its
        read responses.
    done : Out(32)
        Lane accesses granted.
    reads : Out(32)
        Read answers checked.
    errors : Out(32)
        Wrong or unexpected read answers.
    max_wait : Out(16)
        Most cycles a request waited for its grant.
    error_addr, error_got, error_expected : Out(32), Out(width), Out(width)
        The first wrong read.
    """

    def __init__(self, ident: int, lanes: int, width: int, base: int, size: int):
        words = size // (width // 8)
        if width not in (32, 64) or not 0 < lanes <= words or lanes & (lanes - 1) \
                or words < 2 or words & (words - 1) or base % size or not 0 <= ident < 256:
            raise ValueError(f"traffic generator {ident}: {lanes} lanes of {width} bits in "
                             f"{size} bytes at 0x{base:x}: need a power-of-two region of at "
                             "least two words and one word per lane, aligned to its size, "
                             "a power-of-two number of lanes, width 32 or 64")
        self.ident, self.lanes, self.width, self.base, self.size = ident, lanes, width, base, size
        self.words = words
        super().__init__({
            "port": Out(TCDMSignature(32, width)).array(lanes),
            "seed": In(32), "enable": In(1), "idle": In(4), "inject": In(2),
            "done": Out(32), "reads": Out(32), "errors": Out(32), "max_wait": Out(16),
            "error_addr": Out(32), "error_got": Out(width), "error_expected": Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        lanes, width, nbytes = self.lanes, self.width, self.width // 8
        word_bits = (self.words - 1).bit_length()
        shift = (nbytes - 1).bit_length()
        lane_bits = (lanes - 1).bit_length()

        # two random sources, stepped every cycle
        m.submodules.rand_a = rand_a = Xorshift()
        m.submodules.rand_b = rand_b = Xorshift()
        m.d.comb += [rand_a.load.eq(~self.enable), rand_a.seed.eq(self.seed),
                     rand_b.load.eq(~self.enable), rand_b.seed.eq(self.seed ^ 0x5DEE_CE66)]
        a, b = rand_a.value, rand_b.value
        count = Signal(16)

        # the request in flight
        req = Signal()
        we = Signal()
        first = Signal(word_bits)
        mask = Signal(lanes)
        be = [Signal(nbytes, name=f"be{j}") for j in range(lanes)]
        data = [Signal(width, name=f"data{j}") for j in range(lanes)]
        granted = Cat(p.gnt for p in self.port).any()
        word = [Signal(word_bits, name=f"word{j}") for j in range(lanes)]
        for j, p in enumerate(self.port):
            m.d.comb += [word[j].eq((first + j)[:word_bits]),
                         p.req.eq(req & mask[j]), p.we.eq(we), p.be.eq(be[j]),
                         p.wdata.eq(data[j]),
                         p.addr.eq(self.base + (word[j] << shift))]

        with m.If((~req | granted) & self.enable & (a[28:32] >= self.idle)):
            m.d.sync += [req.eq(1), we.eq(a[24]), first.eq(a[:word_bits]),
                         count.eq(count + 1)]
            pick = b[:lanes]
            m.d.sync += mask.eq(Mux(pick == 0, 1, pick))
            for j in range(lanes):
                raw = Cat(b, a).rotate_right(5 * j + 8)[:nbytes]
                m.d.sync += be[j].eq(Mux(raw == 0, (1 << nbytes) - 1, raw))
                stamp = Cat(count, Const(j, 8), Const(self.ident, 8))
                value = (a ^ (j * 0x9E3779B9 & 0xFFFF_FFFF))[:32]
                m.d.sync += data[j].eq(Cat(value, stamp)[:width] if width == 64
                                       else value ^ (self.ident << 24))
        with m.Elif(granted):
            m.d.sync += req.eq(0)

        # waiting time
        wait = Signal(16)
        with m.If(req & ~granted):
            m.d.sync += wait.eq(wait + 1)
            with m.If(wait + 1 > self.max_wait):
                m.d.sync += self.max_wait.eq(wait + 1)
        with m.Else():
            m.d.sync += wait.eq(0)

        # the shadow copy: word w in shadow bank w % lanes, so that the lanes of a request (on
        # consecutive words) each use their own bank; bank k serves lane (k - first) % lanes
        take = [p.req & p.gnt for p in self.port]
        shadow_data = []
        for k in range(lanes):
            bank = memory.Memory(shape=width, depth=self.words // lanes, init=[])
            m.submodules[f"shadow{k}"] = bank
            wp, rp = bank.write_port(granularity=8), bank.read_port()
            lane = Signal(range(lanes), name=f"lane_of_bank{k}")
            m.d.comb += lane.eq((k - first)[:lane_bits] if lane_bits else 0)
            row = (Array(word)[lane] >> lane_bits)
            taken = Array(take)[lane]
            m.d.comb += [wp.addr.eq(row), wp.data.eq(Array(data)[lane]),
                         wp.en.eq(Mux(taken & we, Array(be)[lane], 0)),
                         rp.addr.eq(row), rp.en.eq(taken & ~we)]
            shadow_data.append(rp.data)
        last_first = Signal.like(first)
        m.d.sync += last_first.eq(first)

        # the checks: lane j's answer is due one cycle after its read was granted
        wrong = []
        answered = []
        for j, p in enumerate(self.port):
            expect = Signal(name=f"expect{j}")
            addr = Signal(32, name=f"addr{j}")
            m.d.sync += [expect.eq(take[j] & ~we), addr.eq(p.addr)]
            expected = Array(shadow_data)[(last_first + j)[:lane_bits] if lane_bits else 0]
            rvalid, rdata = p.rvalid, p.rdata
            if j == 0:
                rvalid = rvalid & ~self.inject[1]
                rdata = rdata ^ self.inject[0]
            bad = Signal(name=f"bad{j}")
            m.d.comb += bad.eq((rvalid != expect) | (rvalid & (rdata != expected)))
            wrong.append((bad, addr, rdata, expected))
            answered.append(rvalid & expect)
        m.d.sync += [self.done.eq(self.done + sum(take)),
                     self.reads.eq(self.reads + sum(answered))]
        any_bad = Cat(w[0] for w in wrong).any()
        with m.If(any_bad):
            m.d.sync += self.errors.eq(self.errors + 1)
            with m.If(self.errors == 0):
                for bad, addr, got, expected in reversed(wrong):
                    with m.If(bad):
                        m.d.sync += [self.error_addr.eq(addr), self.error_got.eq(got),
                                     self.error_expected.eq(expected)]
        return m
