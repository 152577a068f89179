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

#: For each block of ``tinyita mutate`` (seed 0, 100 mutants): description -> why.
REVIEWED: dict[str, dict[str, str]] = {
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
            "a reset value of the programmed transfer: the cluster's second reset (`run` "
            "low) always follows `rst` and clears it again",
        "const1 $procmux$1550 A[31] at design.v:1145.9-1145.14, design.v:1145.5-1147.8":
            _NOT_DECODED + " (bit 31 of the read address; L2 addresses have it set)",
        "const0 $procmux$1370 Y[24] (wire l1__6__addr) at design.v:438.17-438.28, "
        "design.v:1463.9-1463.14, design.v:1463.5-1465.8":
            _NOT_DECODED + " (bit 24 of lane 6's address)",
    },
}
