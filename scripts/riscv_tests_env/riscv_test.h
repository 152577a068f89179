/* A riscv-tests environment for tinyita (written for this project, in the manner of
   riscv-tests' env/p/riscv_test.h, which is a git submodule of riscv-tests).

   tinyita's cores are machine mode only (no S or U mode, no PMP, no satp, no medeleg), so
   every test runs in machine mode: the "U" tests too, and the reset code writes none of the
   CSRs the core lacks. Hart 0 runs the test; other harts sleep in wfi. A test ends by storing
   (code << 1) | 1 to `tohost` (`tinyita exec` exits with `code`):
     code 0                        passed
     code N (1..)                  test case N failed (RVTEST_FAIL)
     code 0x100000 | mcause << 12 | N
                                   an exception that the test did not expect, in test case N */

#ifndef TINYITA_RISCV_TEST_H
#define TINYITA_RISCV_TEST_H

/* The few constants of riscv-tests' env/encoding.h that the rv32ui, rv32um and rv32mi tests
   use (values from the RISC-V privileged specification). */
#define CAUSE_MISALIGNED_FETCH 0x0
#define CAUSE_FETCH_ACCESS 0x1
#define CAUSE_ILLEGAL_INSTRUCTION 0x2
#define CAUSE_BREAKPOINT 0x3
#define CAUSE_MISALIGNED_LOAD 0x4
#define CAUSE_LOAD_ACCESS 0x5
#define CAUSE_MISALIGNED_STORE 0x6
#define CAUSE_STORE_ACCESS 0x7
#define CAUSE_USER_ECALL 0x8
#define CAUSE_SUPERVISOR_ECALL 0x9
#define CAUSE_MACHINE_ECALL 0xb
#define CAUSE_FETCH_PAGE_FAULT 0xc
#define CAUSE_LOAD_PAGE_FAULT 0xd
#define CAUSE_STORE_PAGE_FAULT 0xf

#define MSTATUS_SIE 0x00000002
#define MSTATUS_MIE 0x00000008
#define MSTATUS_SPIE 0x00000020
#define MSTATUS_MPIE 0x00000080
#define MSTATUS_SPP 0x00000100
#define MSTATUS_MPP 0x00001800
#define MSTATUS_FS 0x00006000
#define MSTATUS_MPRV 0x00020000
#define MSTATUS_SUM 0x00040000
#define MSTATUS_MXR 0x00080000
#define MSTATUS_TVM 0x00100000
#define MSTATUS_TW 0x00200000
#define MSTATUS_TSR 0x00400000
#define SSTATUS_SIE MSTATUS_SIE
#define SSTATUS_SPIE MSTATUS_SPIE
#define SSTATUS_SPP MSTATUS_SPP
#define SSTATUS_FS MSTATUS_FS
#define SSTATUS_SUM MSTATUS_SUM
#define SSTATUS_MXR MSTATUS_MXR
#define MIP_SSIP (1 << 1)
#define SIP_SSIP MIP_SSIP
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3
#define MCONTROL_LOAD (1 << 0)
#define MCONTROL_STORE (1 << 1)
#define MCONTROL_EXECUTE (1 << 2)
#define MCONTROL_M (1 << 6)

/* What each kind of test needs before it starts: nothing (machine mode only). */
#define RVTEST_RV64U .macro init; .endm
#define RVTEST_RV32U .macro init; .endm
#define RVTEST_RV64M .macro init; .endm
#define RVTEST_RV32M .macro init; .endm
#define RVTEST_RV64S .macro init; .endm
#define RVTEST_RV32S .macro init; .endm

#define TESTNUM gp

#define RVTEST_CODE_BEGIN                                               \
        .section .text.init;                                            \
        .align  6;                                                      \
        .weak mtvec_handler;                                            \
        .globl _start;                                                  \
_start:                                                                 \
        j reset_vector;                                                 \
        .align 2;                                                       \
trap_vector:                                                            \
        /* RVTEST_PASS and RVTEST_FAIL end with an ecall */             \
        csrr t5, mcause;                                                \
        li t6, CAUSE_MACHINE_ECALL;                                     \
        beq t5, t6, write_tohost;                                       \
        /* the test's own handler, if it has one */                     \
        la t5, mtvec_handler;                                           \
        beqz t5, other_exception;                                       \
        jr t5;                                                          \
other_exception:                                                        \
        csrr t5, mcause;                                                \
        andi t5, t5, 0xff;                                              \
        slli t5, t5, 12;                                                \
        li t6, 0x100000;                                                \
        or t5, t5, t6;                                                  \
        li t6, 0xfff;                                                   \
        and TESTNUM, TESTNUM, t6;                                       \
        or TESTNUM, TESTNUM, t5;                                        \
        slli TESTNUM, TESTNUM, 1;                                       \
        ori TESTNUM, TESTNUM, 1;                                        \
write_tohost:                                                           \
        la t5, tohost;                                                  \
        sw TESTNUM, 0(t5);                                              \
        j write_tohost;                                                 \
reset_vector:                                                           \
        csrr a0, mhartid;                                               \
        beqz a0, 2f;                                                    \
1:      wfi;                                                            \
        j 1b;                                                           \
2:      li x1, 0; li x2, 0; li x3, 0; li x4, 0; li x5, 0; li x6, 0;     \
        li x7, 0; li x8, 0; li x9, 0; li x10, 0; li x11, 0; li x12, 0;  \
        li x13, 0; li x14, 0; li x15, 0; li x16, 0; li x17, 0;          \
        li x18, 0; li x19, 0; li x20, 0; li x21, 0; li x22, 0;          \
        li x23, 0; li x24, 0; li x25, 0; li x26, 0; li x27, 0;          \
        li x28, 0; li x29, 0; li x30, 0; li x31, 0;                     \
        li TESTNUM, 0;                                                  \
        la t0, trap_vector;                                             \
        csrw mtvec, t0;                                                 \
        csrwi mstatus, 0;                                               \
        init;                                                           \
        la t0, 1f;                                                      \
        csrw mepc, t0;                                                  \
        csrr a0, mhartid;                                               \
        mret;                                                           \
1:

#define RVTEST_CODE_END                                                 \
        unimp

#define RVTEST_PASS                                                     \
        fence;                                                          \
        li TESTNUM, 1;                                                  \
        li a7, 93;                                                      \
        li a0, 0;                                                       \
        ecall

#define RVTEST_FAIL                                                     \
        fence;                                                          \
1:      beqz TESTNUM, 1b;                                               \
        sll TESTNUM, TESTNUM, 1;                                        \
        or TESTNUM, TESTNUM, 1;                                         \
        li a7, 93;                                                      \
        addi a0, TESTNUM, 0;                                            \
        ecall

#define EXTRA_DATA

#define RVTEST_DATA_BEGIN                                               \
        EXTRA_DATA                                                      \
        .pushsection .tohost,"aw",@progbits;                            \
        .align 6; .global tohost; tohost: .dword 0; .size tohost, 8;    \
        .align 6; .global fromhost; fromhost: .dword 0; .size fromhost, 8; \
        .popsection;                                                    \
        .align 4; .global begin_signature; begin_signature:

#define RVTEST_DATA_END .align 4; .global end_signature; end_signature:

#endif
