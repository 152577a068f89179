"""Surviving mutants a person has read and found equivalent in the block's use, with why.

``tinyita mutate`` counts such a survivor as *explained*: not killed, not proved equivalent
and not counted against the score (docs/verification.md, "Mutation scores", lists them with
the same reasons). The formal check could not prove them: some are equivalent only inside
the harness (an address bit the L1 does not decode, a reset the cluster always follows with a
second one), others only for the values the rest of the design can produce, and on some the
solvers give up.

A mutant is named by its description (``Mutation.describe()``: mode, cell, port bit and
source lines, as the command prints it), not by its index in the sample. A change of the
design renames its cells and moves its lines, so an entry then no longer matches and the
mutant is reported as a survivor again until someone reads it anew.
"""

__all__ = ["REVIEWED"]

_NOT_DECODED = "an L1 address bit above the L1's size: the banks do not decode it"
_NEVER = "toggled under a control bit that is always 0 here: "
_UNREAD = "a bit nothing reads: "
_SAME = "no change: "
_EMPTY_SLOT = ("a reset value that reaches only the empty pipeline slot after reset, which "
               "nothing takes (o_valid is 0)")
_COUNTER_RESET = ("a counter's reset value: with the command register cleared no end test "
                  "matches until a command clears the counters")
_HELD = ("a counter's value held on a command's last beat when `valid` drops: the next "
         "command clears it, and meanwhile only `end` with `valid` 0 could differ")
_SECOND_RESET = ("a value set under `rst`: every harness follows `rst` with the second reset "
                 "(`run` low), which sets it again")
_CASE_ITEM = ("a bit of the read-data select toggled in one case's comparison only when the "
              "control bit has the value that case excludes")

_DISABLED_WRITE = ("the address or data of the FIFO's storage write in the cycles it is not "
                   "enabled (a don't-care, x, in the netlist): nothing is stored")
_TRUNCATED = "a bit above the width of the register the value is stored in: "
_ROOM = ("reads in flight plus beats buffered never exceed the read-ahead depth (4), the "
         "invariant `room` keeps (the streamer bench checks that no read is requested "
         "without room): ")
_GRANTED = ("`req & gnt` with `req` tied to 1: a beat port grants only a request "
            "(BeatPortSignature, hw/bus/tcdm.py; the TCDM mux grants only the port it "
            "serves), so it is `gnt`")
_DONT_CARE = ("a don't-care (x) input of a multiplexer whose output is used only when the "
              "select picks the other input")
_ID_BITS = ("bit 28 or 29 of the 31-bit job id: it changes only after 2^28 jobs, more "
            "than a simulation can acquire")

#: For each block of ``tinyita mutate`` (seed 0, 100 mutants, or all Yosys offers when fewer):
#: description -> why.
REVIEWED: dict[str, dict[str, str]] = {
    "activation": {
        "const0 $flatten\\requant.$procmux$253 B[87] at design.v:800.9-800.12, "
        "design.v:800.5-802.8":
            _SAME + "a reset value tied to the 0 it is",
        "cnot1 $flatten\\requant.$ternary$design.v:767$211 Y[27] with Y[19] (wire requant.$19) at "
        "hw/ita/requantizer.py:70":
            _UNREAD + "bits 8 and up of the requantizer's clamp (`y` keeps 8 bits)",
        "inv $flatten\\requant.$sshr$design.v:774$218 Y[16] (wire requant.$25) at "
        "hw/ita/requantizer.py:67":
            _UNREAD + "bits 1 and up of `(p << 1) >> shift`: only the rounding bit 0 is read",
        "cnot0 $flatten\\requant.$sshr$design.v:782$226 Y[18] with Y[6] (wire requant.$31) at "
        "hw/ita/requantizer.py:67":
            _UNREAD + "bits 1 and up of `(p << 1) >> shift`: only the rounding bit 0 is read",
        "cnot0 $flatten\\requant.$ternary$design.v:755$199 Y[8] with Y[21] (wire requant.$7) at "
        "hw/ita/requantizer.py:70":
            _UNREAD + "bits 8 and up of the requantizer's clamp (`y` keeps 8 bits)",
        "const1 $lt$design.v:372$63 B[0] at hw/ita/activation.py:81":
            _SAME + "the ReLU test becomes `x < 1`: ReLU of 0 is 0 either way",
        "const1 $flatten\\requant.$sshr$design.v:778$222 Y[13] (wire requant.$28) at "
        "hw/ita/requantizer.py:67":
            _UNREAD + "bits 1 and up of `(p << 1) >> shift`: only the rounding bit 0 is read",
        "const1 $flatten\\requant.$ternary$design.v:759$203 Y[36] (wire requant.$11) at "
        "hw/ita/requantizer.py:70":
            _UNREAD + "bits 8 and up of the requantizer's clamp (`y` keeps 8 bits)",
        "cnot1 $flatten\\requant.$ternary$design.v:763$207 Y[18] with Y[28] (wire requant.$15) at "
        "hw/ita/requantizer.py:70":
            _UNREAD + "bits 8 and up of the requantizer's clamp (`y` keeps 8 bits)",
        "cnot0 $flatten\\requant.$procdff$292 D[1] with D[16] (wire requant.$34) at "
        "hw/ita/requantizer.py:56":
            _UNREAD + "`rq1.mult`: the second stage registers it but never reads it",
        "cnot0 $ternary$design.v:375$66 B[33] with B[36] (wire \\$61) at hw/ita/activation.py:80":
            _UNREAD + "bit 33 of the clamped GELU value: the 26-bit `y` drops it",
    },
    "itamax": {
        "const0 $ternary$design.v:460$60 B[0] at hw/ita/itamax.py:100":
            "changes the choice between two lanes only when their values are equal",
        "cnot1 $flatten\\divider.$or$design.v:1094$363 A[4] with A[3] (wire divider.quo6) at "
        "hw/ita/divider.py:51, hw/ita/divider.py:56":
            "a bit of the divider's quotient that is always 0",
        "cnot1 $shr$design.v:521$121 Y[8] with Y[5] (wire \\$66) at hw/ita/itamax.py:18":
            _UNREAD + "bit 8 of the stage-1 `_rs`, which `exp_shift` cuts off",
        "cnot1 $shr$design.v:608$208 Y[0] with Y[3] (wire \\$151) at hw/ita/itamax.py:18":
            _SAME + "a stage-3 shift of 8..15 stays above 7, so A stays 0",
        "inv $flatten\\divider.$procmux$629 B[7] at design.v:1433.9-1433.12, "
        "design.v:1433.5-1435.8":
            _EMPTY_SLOT,
        "cnot0 $shl$design.v:576$176 Y[13] with Y[9] (wire \\$119) at hw/ita/itamax.py:17":
            "a bit of `1 << k` that is never read or always 0",
        "const1 $flatten\\divider.$procmux$659 B[7] at design.v:1363.9-1363.12, "
        "design.v:1363.5-1365.8":
            _EMPTY_SLOT,
        "const0 $flatten\\divider.$procmux$677 Y[1] (wire divider.$84) at design.v:954.14-954.18, "
        "design.v:1321.9-1321.12, design.v:1321.5-1323.8":
            "a bit of the divider that is always 0",
        "cnot1 $flatten\\divider.$procdff$830 Q[0] with Q[13] (wire divider.div7) at "
        "hw/ita/divider.py:51":
            "changes the quotient only for divisors of 10880 and up; a row sum is at most 8192",
        "inv $procmux$737 B[0] at design.v:737.9-737.12, design.v:737.5-739.8":
            "the reset value of `row_last1`, read only with `v1`, which resets to 0",
        "cnot1 $shl$design.v:519$119 Y[7] with Y[14] (wire \\$64) at hw/ita/itamax.py:17":
            "a bit of `1 << k` that is never read or always 0",
        "cnot0 $flatten\\divider.$ternary$design.v:1087$356 Y[18] with Y[4] (wire divider.$14) at "
        "hw/ita/divider.py:55":
            _UNREAD + "a remainder bit above the 16 the divider keeps",
        "inv $shl$design.v:582$182 Y[10] (wire \\$125) at hw/ita/itamax.py:17":
            "a bit of `1 << k` that is never read or always 0",
        "const0 $ternary$design.v:569$169 S[0] (wire \\$111) at hw/ita/itamax.py:149":
            "the clamp of `max - x < 0`: only masked keys have it, and their A is 0 anyway",
    },
    "divider": {
        "inv $procmux$244 B[3] at design.v:666.9-666.12, design.v:666.5-668.8":
            _EMPTY_SLOT,
        "const1 $procmux$295 B[14] at design.v:547.9-547.12, design.v:547.5-549.8":
            _EMPTY_SLOT,
    },
    "address-generator": {
        "const1 $procmux$215 B[2] at design.v:284.9-284.12, design.v:284.5-286.8":
            _COUNTER_RESET,
        "cnot1 $procmux$330 Y[13] with Y[14] at design.v:245.20-245.24, design.v:245.16-249.10":
            _HELD,
        "cnot1 $procmux$219 B[5] with B[10] at design.v:280.20-280.24, design.v:280.16-282.10":
            _HELD,
        "cnot1 $procmux$321 B[8] with B[15] at design.v:243.11-243.15, design.v:243.7-249.10":
            _HELD,
        "inv $procmux$263 B[7] at design.v:268.9-268.12, design.v:268.5-270.8":
            _COUNTER_RESET,
        "const1 $add$design.v:170$37 A[33] at hw/hwpe/address_generator.py:60":
            _UNREAD + "an operand's extension bit that reaches only sum bits 33 and up",
    },
    "l1-interconnect": {
        "const1 $procmux$17022 Y[0] (wire \\$signal$359) at design.v:5078.7-5078.19, "
        "design.v:18372.9-18372.15, design.v:18372.5-18374.8":
            "a bank's SRAM enabled in every cycle: the extra reads (no write enable) are "
            "never answered to anyone",
        "cnot1 $flatten\\arbiter0.$reduce_or$design.v:28869$9990 A[7] with A[2] (wire "
        "arbiter0.$1) at design.v:28846.14-28846.17, design.v:28869.17-28869.22":
            _SAME + "a bit toggled in an OR whose other bit is 1 at the time",
        "cnot1 $and$design.v:8404$2342 Y[23] with Y[4] (wire \\$2208) at "
        "design.v:1355.15-1355.21, design.v:8404.20-8404.577":
            _SAME + "a bit toggled in a test for zero whose other bit is 1 at the time",
        "cnot1 $procmux$11167_CMP0 A[2] with A[3] at design.v:24733.24-24733.24, "
        "design.v:24733.5-24798.12":
            _CASE_ITEM,
        "cnot1 $ternary$design.v:9276$3214 Y[9] with Y[8] (wire \\$3178) at "
        "design.v:2432.15-2432.21, design.v:9276.20-9276.73":
            _UNREAD + "bits 9 and up of a core's shifted byte enables (a bank takes 8)",
        "cnot0 $procmux$11245_CMP0 A[1] with A[4] at design.v:24565.36-24565.36, "
        "design.v:24523.5-24588.12":
            _CASE_ITEM,
        "cnot1 $procmux$11194_CMP0 A[4] with A[3] at design.v:24675.36-24675.36, "
        "design.v:24663.5-24728.12":
            _CASE_ITEM,
        "const0 $ternary$design.v:10221$4159 Y[10] (wire \\$4210) at design.v:3580.15-3580.21, "
        "design.v:10221.20-10221.73":
            _UNREAD + "bits 9 and up of a core's shifted byte enables (a bank takes 8)",
    },
    "core-csr": {
        "const1 $procmux$132 B[31] at design.v:456.9-456.12, design.v:456.5-458.8":
            _SECOND_RESET + " (bit 31 of mtval)",
    },
    "dma": {
        "cnot1 $procmux$1554 Y[11] with Y[4] at design.v:1141.15-1141.23, "
        "design.v:1141.11-1143.14":
            _NEVER + "bit 4 of the reader's 64-byte aligned address",
        "const1 $reduce_or$design.v:830$264 Y[0] (wire \\$267) at design.v:192.8-192.13, "
        "design.v:830.19-830.44":
            "an L1 lane requests with no byte enabled: it writes nothing, and the wide port's "
            "lanes are granted together",
        "const1 $flatten\\writer.$shr$design.v:1869$506 Y[612] (wire writer.$33) at "
        "design.v:1761.17-1761.21, design.v:1869.18-1869.44":
            _UNREAD + "the realigning shift above the 512-bit beat",
        "cnot1 $flatten\\writer.$sub$design.v:1877$514 A[140] with A[34] (wire writer.$40) "
        "at design.v:1769.16-1769.20, design.v:1877.18-1877.30":
            _UNREAD + "the byte-enable mask's subtraction far above its 64 bits",
        "inv $flatten\\writer.$procdff$1837 Q[68] (wire writer.row) at "
        "design.v:1832.15-1832.18, design.v:1902.3-1903.18":
            _UNREAD + "bit 30 of the writer's row length (it reads the low 6 bits)",
        "const1 $ge$design.v:634$68 A[2] at design.v:634.18-634.47":
            _SAME + "setting bit 2 never moves an address across 0x8000_0000",
        "cnot1 $procmux$1514 Y[14] with Y[22] (wire \\$302) at design.v:232.14-232.19, "
        "design.v:1173.9-1173.12, design.v:1173.5-1175.8":
            _NEVER + "bit 22 of the chunks left in a row (rows of 256 MB)",
        "cnot0 $procmux$1361 B[24] with B[2] (wire \\$276) at design.v:202.15-202.20, "
        "design.v:1484.9-1484.14, design.v:1484.5-1486.8":
            _NOT_DECODED + " (bit 24 of lane 7's write address)",
        "const1 $flatten\\writer.$procmux$1172 A[0] at design.v:2050.22-2050.22, "
        "design.v:2050.5-2055.12":
            _SAME + "after optimisation the mutated input is selected only in a state and "
            "its opposite",
        "const1 $flatten\\writer.$ternary$design.v:1917$547 A[411] at "
        "design.v:1917.17-1917.175":
            "a byte of the zeros shifted in after a row's last chunk: never enabled",
        "cnot1 $le$design.v:763$197 B[25] with B[2] (wire \\$200) at design.v:119.15-119.20, "
        "design.v:763.19-763.34":
            _NEVER + "bit 2 of the memories' end addresses",
        "cnot1 $procmux$1650 Y[32] with Y[19] (wire \\$297) at design.v:225.15-225.20, "
        "design.v:1059.9-1059.12, design.v:1059.5-1061.8":
            _NEVER + "bit 19 of a row's source address: no row in this configuration's "
            "memories (L2 of 256 KiB, L1 of 128 KiB) has it",
        "inv $procmux$1352 A[47] at design.v:1505.9-1505.14, design.v:1505.5-1507.8":
            _UNREAD + "L1 write data while nothing is written",
        "const0 $ge$design.v:589$23 B[27] at design.v:589.18-589.46":
            _SAME + "bit 27 of 0x8000_0000 is 0",
        "inv $flatten\\writer.$procmux$1235 Y[52] at design.v:1992.22-1992.22, "
        "design.v:1992.5-1997.12":
            _UNREAD + "bit 14 of the writer's row length (it reads the low 6 bits)",
        "const0 $flatten\\writer.$procmux$1248 B[25] at design.v:1978.15-1978.26, "
        "design.v:1978.11-1980.14":
            _SAME + "bit 25 of a counter's start value 0",
        "cnot0 $flatten\\writer.$procmux$1018 Y[17] with Y[53] (wire done__payload) at "
        "design.v:337.16-337.29, design.v:2149.22-2149.22, design.v:2149.5-2156.12":
            _UNREAD + "the destination address in the writer's `done`",
        "cnot1 $flatten\\writer.$procmux$1250 Y[11] with Y[15] at design.v:1976.22-1976.22, "
        "design.v:1976.5-1981.12":
            _NEVER + "bit 15 of the writer's chunk and beat counters (rows of 2 MB)",
        "const0 $flatten\\writer.$add$design.v:1923$553 Y[21] (wire writer.$9) at "
        "design.v:1802.15-1802.18, design.v:1923.17-1923.29":
            "the chunk count of a row of 2 MB or more: only a skipped row has one",
        "const0 $le$design.v:719$153 A[2] (wire \\$157) at design.v:70.15-70.20, "
        "design.v:719.19-719.41":
            "the queued `to_l1` of a good transfer: the source's half of the test decides "
            "it",
        "const1 $procmux$1790 B[186] at design.v:963.9-963.12, design.v:963.5-965.8":
            _SECOND_RESET + " (the programmed transfer)",
        "const1 $procmux$1550 A[31] at design.v:1145.9-1145.14, design.v:1145.5-1147.8":
            _NOT_DECODED + " (bit 31 of the read address; L2 addresses have it set)",
        "const0 $procmux$1370 Y[24] (wire l1__6__addr) at design.v:438.17-438.28, "
        "design.v:1463.9-1463.14, design.v:1463.5-1465.8":
            _NOT_DECODED + " (bit 24 of lane 6's address)",
    },
    "source-streamer": {
        "inv $flatten\\fifo.$procmux$259 A[86] at design.v:650.9-650.19, design.v:650.5-651.45":
            _DISABLED_WRITE,
        "const1 $flatten\\fifo.$procmux$262 A[0] at design.v:650.9-650.19, design.v:650.5-651.45":
            _DISABLED_WRITE,
        "const1 $flatten\\fifo.$not$design.v:691$182 Y[0] (wire fifo.$27) at "
        "amaranth/lib/fifo.py:287":
            _SAME + "`~r_rdy | r_en` forced to 1 in the condition that refills the output "
            "register: when the register holds a beat and it is not taken, the refill sets "
            "r_rdy to the 1 it is",
        "const0 $flatten\\fifo.$add$design.v:669$160 Y[2] (wire fifo.$5) at "
        "amaranth/lib/fifo.py:118":
            _TRUNCATED + "the FIFO's 2-bit write pointer + 1",
        "cnot0 $flatten\\fifo.$ternary$design.v:676$167 Y[2] with Y[0] (wire fifo.$12) at "
        "amaranth/lib/fifo.py:118":
            _TRUNCATED + "the FIFO's next 2-bit read pointer",
        "const0 $lt$design.v:133$2 A[1] (wire \\$1) at hw/hwpe/source_streamer.py:51":
            _ROOM + "for sums 0..4, clearing bit 1 never changes `sum < 4`",
        "const1 $sub$design.v:144$13 A[3] (wire \\$10) at hw/hwpe/source_streamer.py:60":
            _TRUNCATED + "the 3-bit in_flight count (bit 3 of the sum adds 8)",
        "const0 $flatten\\fifo.$procmux$233 B[0] at design.v:735.9-735.12, design.v:735.5-737.8":
            _SAME + "a reset value tied to the 0 it is",
        "const1 $flatten\\fifo.$sub$design.v:690$181 Y[2] (wire fifo.$26) at "
        "amaranth/lib/fifo.py:314":
            _TRUNCATED + "the FIFO's 2-bit level - 1",
        "const0 $flatten\\fifo.$ne$design.v:660$151 A[1] at amaranth/lib/fifo.py:283":
            _ROOM + "the FIFO is written only when its inner storage (3 beats) has room (it "
            "holds 3 only while the output register holds a fourth, and then no read is in "
            "flight), so `w_rdy` is 1 whenever it matters",
    },
    "sink-streamer": {
        "const1 $and$design.v:119$8 A[0] at hw/hwpe/sink_streamer.py:40":
            _GRANTED,
        "const1 $and$design.v:118$7 A[0] at hw/hwpe/sink_streamer.py:40":
            _GRANTED,
        "const1 $and$design.v:117$6 A[0] at hw/hwpe/sink_streamer.py:40":
            _GRANTED,
    },
    "hwpe-control": {
        "inv $procmux$1068 A[31] at design.v:1172.11-1172.16, design.v:1172.7-1347.10":
            _DONT_CARE,
        "const1 $procmux$1016 A[26] at design.v:1171.9-1171.13, design.v:1171.5-1348.8":
            _DONT_CARE,
        "inv $procmux$2429 B[10] at design.v:880.9-880.13, design.v:880.5-976.8":
            _DONT_CARE,
        "cnot0 $eq$design.v:756$258 A[3] with A[2] at design.v:756.19-756.37":
            _SAME + "the SW_EVENT decode `addr == 0x1c` with address bit 3 replaced by "
            "~(bit 3 ^ bit 2) still matches 0x1c alone",
        "const0 $eq$design.v:694$196 B[0] at design.v:694.19-694.36":
            _SAME + "a constant bit of `ctx_index == 4` tied to the 0 it is",
        "const0 $procmux$518 B[0] at design.v:1462.9-1462.19, design.v:1462.5-1464.8":
            _SAME + "the error pointer's soft-clear value tied to the 0 it is",
        "const0 $procmux$1566 Y[28] at design.v:1099.11-1099.15, design.v:1099.7-1101.10":
            _ID_BITS,
        "const0 $procdff$2494 D[29] (wire \\$325) at design.v:254.14-254.19, "
        "design.v:795.3-796.23":
            _ID_BITS,
    },
}
