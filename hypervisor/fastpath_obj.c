// SPDX-License-Identifier: GPL-2.0-or-later
/* fastpath_obj.c - the fast path's BPF object, built into xend
 *
 * XEND_FP_OBJ names the object the Makefile built from
 * vswitch/bpf/fastpath.bpf.c; libbpf opens it from memory (fastpath.c),
 * so xend has no file to find at run time.
 */
#ifndef XEND_FP_OBJ
#error "XEND_FP_OBJ: the path of the BPF object (see the Makefile)"
#endif

/* xend_fp_obj: the object's bytes; xend_fp_obj_len: how many (a 64-bit
 * word the assembler computes) */
__asm__(".section .rodata\n"
	".balign 8\n"
	".global xend_fp_obj\n"
	"xend_fp_obj:\n"
	".incbin \"" XEND_FP_OBJ "\"\n"
	"xend_fp_obj_end:\n"
	".balign 8\n"
	".global xend_fp_obj_len\n"
	"xend_fp_obj_len:\n"
	".quad xend_fp_obj_end - xend_fp_obj\n"
	".previous\n");
