/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kvm:* tracepoints, with the names, fields and field types of
 * in-tree KVM 6.1, so that perf kvm stat, bpftrace's kvmexits.bt and
 * bcc's kvmexit work on kvmod unmodified. kvmod's own events are in
 * trace_kvmod.h.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

#if !defined(KVMOD_TRACE_KVM_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVMOD_TRACE_KVM_H

#include <linux/tracepoint.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#include "kvmod.h"

/* Switch kvmod_trace_exits on while kvm_entry or kvm_exit is in use. */
int kvmod_trace_exits_reg(void);
void kvmod_trace_exits_unreg(void);

TRACE_EVENT_FN(kvm_entry,
	TP_PROTO(unsigned int vcpu_id, unsigned long rip, bool immediate_exit),
	TP_ARGS(vcpu_id, rip, immediate_exit),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(unsigned long, rip)
		__field(bool, immediate_exit)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
		__entry->immediate_exit = immediate_exit;
	),

	TP_printk("vcpu %u, rip 0x%lx%s", __entry->vcpu_id, __entry->rip,
		  __entry->immediate_exit ? "[immediate exit]" : ""),

	kvmod_trace_exits_reg, kvmod_trace_exits_unreg
);

TRACE_EVENT_FN(kvm_exit,
	TP_PROTO(unsigned int vcpu_id, u32 isa, unsigned int exit_reason,
		 unsigned long guest_rip, u64 info1, u64 info2, u32 intr_info,
		 u32 error_code),
	TP_ARGS(vcpu_id, isa, exit_reason, guest_rip, info1, info2, intr_info,
		error_code),

	TP_STRUCT__entry(
		__field(unsigned int, exit_reason)
		__field(unsigned long, guest_rip)
		__field(u32, isa)
		__field(u64, info1)
		__field(u64, info2)
		__field(u32, intr_info)
		__field(u32, error_code)
		__field(unsigned int, vcpu_id)
	),

	TP_fast_assign(
		__entry->exit_reason = exit_reason;
		__entry->guest_rip = guest_rip;
		__entry->isa = isa;
		__entry->info1 = info1;
		__entry->info2 = info2;
		__entry->intr_info = intr_info;
		__entry->error_code = error_code;
		__entry->vcpu_id = vcpu_id;
	),

	TP_printk("vcpu %u reason %s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x error_code 0x%08x",
		  __entry->vcpu_id,
		  __entry->isa == KVMOD_ISA_VMX ?
			__print_symbolic(__entry->exit_reason & 0xffff,
					 VMX_EXIT_REASONS) :
			__print_symbolic(__entry->exit_reason,
					 SVM_EXIT_REASONS),
		  __entry->guest_rip, __entry->info1, __entry->info2,
		  __entry->intr_info, __entry->error_code),

	kvmod_trace_exits_reg, kvmod_trace_exits_unreg
);

TRACE_EVENT(kvm_pio,
	TP_PROTO(unsigned int rw, unsigned int port, unsigned int size,
		 unsigned int count, const void *data),
	TP_ARGS(rw, port, size, count, data),

	TP_STRUCT__entry(
		__field(unsigned int, rw)
		__field(unsigned int, port)
		__field(unsigned int, size)
		__field(unsigned int, count)
		__field(unsigned int, val)
	),

	TP_fast_assign(
		__entry->rw = rw;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
		__entry->val = 0;
		if (data)
			memcpy(&__entry->val, data, min_t(unsigned int, size, 4));
	),

	TP_printk("pio_%s at 0x%x size %d count %d val 0x%x %s",
		  __entry->rw ? "write" : "read", __entry->port,
		  __entry->size, __entry->count, __entry->val,
		  __entry->count > 1 ? "(...)" : "")
);

/* The type field of kvm_mmio, as in-tree KVM numbers it. */
#define KVMOD_TRACE_MMIO_READ_UNSATISFIED	0
#define KVMOD_TRACE_MMIO_READ			1
#define KVMOD_TRACE_MMIO_WRITE			2

TRACE_EVENT(kvm_mmio,
	TP_PROTO(int type, int len, u64 gpa, const void *val),
	TP_ARGS(type, len, gpa, val),

	TP_STRUCT__entry(
		__field(u32, type)
		__field(u32, len)
		__field(u64, gpa)
		__field(u64, val)
	),

	TP_fast_assign(
		__entry->type = type;
		__entry->len = len;
		__entry->gpa = gpa;
		__entry->val = 0;
		if (val)
			memcpy(&__entry->val, val, min_t(u32, 8, len));
	),

	TP_printk("mmio %s len %u gpa 0x%llx val 0x%llx",
		  __print_symbolic(__entry->type, { 0, "unsatisfied-read" },
				   { 1, "read" }, { 2, "write" }),
		  __entry->len, __entry->gpa, __entry->val)
);

TRACE_EVENT(kvm_msr,
	TP_PROTO(unsigned int write, u32 ecx, u64 data, bool exception),
	TP_ARGS(write, ecx, data, exception),

	TP_STRUCT__entry(
		__field(unsigned int, write)
		__field(u32, ecx)
		__field(u64, data)
		__field(u8, exception)
	),

	TP_fast_assign(
		__entry->write = write;
		__entry->ecx = ecx;
		__entry->data = data;
		__entry->exception = exception;
	),

	TP_printk("msr_%s %x = 0x%llx%s", __entry->write ? "write" : "read",
		  __entry->ecx, __entry->data,
		  __entry->exception ? " (#GP)" : "")
);

#endif /* KVMOD_TRACE_KVM_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace_kvm
#include <trace/define_trace.h>
