/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod-irqchip: the kernel side of the in-kernel interrupt controllers.
 *
 * The register logic lives in the pure files (pic.c, pit.c, ioapic.c,
 * lapic.c, msi.c, irq_routing.c); the files here wire it to a VM: the
 * I/O bus, vCPU kicks, host timers, routing and the ioctls.
 *
 * Locking, outermost first:
 *   virq->lock (mutex)          KVM_CREATE_*, routing and state ioctls
 *   virq->pic_lock, ioapic_lock (spinlocks, irqsave)
 *   vlapic->lock (spinlock, irqsave)   one vCPU's LAPIC
 * A LAPIC's lock is never held while another lock is taken: effects of
 * a LAPIC write (IPIs, EOIs) are carried out after it is dropped.
 */
#ifndef KVMOD_IRQCHIP_H
#define KVMOD_IRQCHIP_H

#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "kvmod.h"
#include "irq_msg.h"
#include "ioapic.h"
#include "irq_routing.h"
#include "lapic.h"
#include "pic.h"

/* Interrupt sources whose line levels are OR-ed on a pin. */
#define KVMOD_IRQ_SOURCE_USER	0	/* KVM_IRQ_LINE, irqfds */
#define KVMOD_IRQ_SOURCE_RESAMPLE	1	/* resampling irqfds */
#define KVMOD_IRQ_SOURCE_PIT	2

/* A vCPU's local APIC. */
struct kvmod_vlapic {
	struct kvmod_vcpu *vcpu;
	spinlock_t lock;		/* @l */
	struct kvmod_lapic l;
	struct hrtimer timer;
	int user_extint;		/* split: KVM_INTERRUPT's vector, or -1 */
	bool pv_eoi_pending;		/* the guest's PV EOI bit was set */
};

struct kvmod_vpit;

/* The VM's interrupt controllers (vm->irqchip_data). */
struct kvmod_virq {
	struct kvmod_vm *vm;
	struct mutex lock;		/* ioctls changing the set-up */
	bool split;			/* KVM_CAP_SPLIT_IRQCHIP: no PIC/IOAPIC */
	bool full;			/* KVM_CREATE_IRQCHIP */
	u32 nr_ioapic_routes;		/* split: GSIs of userspace's IOAPIC */

	spinlock_t pic_lock;		/* @pic, @pic_sources */
	struct kvmod_pic pic;
	u64 pic_sources[KVMOD_PIC_NUM_PINS];	/* levels, a bit per source */
	struct kvmod_io_device pic_dev;

	spinlock_t ioapic_lock;		/* @ioapic */
	struct kvmod_ioapic ioapic;
	struct kvmod_io_device ioapic_dev;
	struct delayed_work eoi_inject;	/* after an EOI storm (10 ms) */

	struct kvmod_irq_route_table __rcu *routes;	/* under @lock */

	struct kvmod_vpit *pit;		/* KVM_CREATE_PIT2, or NULL */
	struct xarray apic_by_id;	/* vCPU id -> its struct kvmod_vlapic */
	struct kvmod_apic_map __rcu *map;	/* apic_map_dev.c */
	atomic_t map_gen;		/* bumped by addressing changes */
	struct mutex map_lock;		/* rebuilds of @map */
	struct work_struct map_work;	/* rebuilds @map */
	bool x2apic_format;		/* KVM_X2APIC_API_USE_32BIT_IDS */
	bool no_broadcast_quirk;	/* ..._DISABLE_BROADCAST_QUIRK */
	spinlock_t irqfd_lock;		/* @irqfds (irqfd.c) */
	struct list_head irqfds;
	struct mutex resampler_lock;	/* changes of @resamplers */
	struct list_head resamplers;	/* RCU */
};

static inline struct kvmod_virq *to_virq(struct kvmod_vm *vm)
{
	return vm->irqchip_data;
}

static inline struct kvmod_vlapic *to_vlapic(struct kvmod_vcpu *vcpu)
{
	return vcpu->irqchip_data;
}

/* lapic_dev.c */
/* apic_map_dev.c */
void kvmod_virq_map_init(struct kvmod_virq *virq);
void kvmod_virq_map_destroy(struct kvmod_virq *virq);
void kvmod_virq_map_changed(struct kvmod_virq *virq);
void kvmod_virq_map_refresh(struct kvmod_virq *virq);
int kvmod_virq_map_targets(struct kvmod_virq *virq,
			   const struct kvmod_irq_msg *msg, u16 *out,
			   u32 nr_vcpus);

int kvmod_vlapic_create(struct kvmod_vcpu *vcpu);
void kvmod_vlapic_update_config(struct kvmod_vcpu *vcpu);
void kvmod_vlapic_destroy(struct kvmod_vcpu *vcpu);
int kvmod_irq_deliver(struct kvmod_vm *vm, const struct kvmod_irq_msg *msg,
		      struct kvmod_vlapic *src);
long kvmod_vlapic_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
			void __user *argp);
extern const struct kvmod_irqchip_ops kvmod_irqchip_ops;

/* pic_dev.c */
int kvmod_vpic_create(struct kvmod_virq *virq);
void kvmod_vpic_destroy(struct kvmod_virq *virq);
int kvmod_vpic_set_irq(struct kvmod_virq *virq, int source, u32 pin,
		       bool level);
void kvmod_vpic_kick(struct kvmod_virq *virq);

/* ioapic_dev.c */
int kvmod_vioapic_create(struct kvmod_virq *virq);
void kvmod_vioapic_destroy(struct kvmod_virq *virq);
int kvmod_vioapic_set_irq(struct kvmod_virq *virq, int source, u32 pin,
			  bool level, bool line_status);
void kvmod_vioapic_eoi(struct kvmod_virq *virq, u8 vector, bool level);
void kvmod_vioapic_set_state(struct kvmod_virq *virq,
			     const struct kvm_ioapic_state *state);

/* irq_route.c */
int kvmod_virq_set_irq(struct kvmod_virq *virq, int source, u32 gsi,
		       bool level, bool line_status);
int kvmod_virq_default_routing(struct kvmod_virq *virq);
void kvmod_virq_free_routing(struct kvmod_virq *virq);
bool kvmod_virq_split_eoi_vector(struct kvmod_virq *virq,
				 struct kvmod_vcpu *vcpu, u8 vector);
long kvmod_virq_route_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			    void __user *argp);

/* irqfd.c */
long kvmod_irqfd_ioctl(struct kvmod_vm *vm, void __user *argp);
void kvmod_irqfd_acked(struct kvmod_virq *virq, u32 gsi);
void kvmod_irqfd_chip_acked(struct kvmod_virq *virq, u32 irqchip, u32 pins);
void kvmod_irqfd_init_vm(struct kvmod_virq *virq);
void kvmod_irqfd_release(struct kvmod_virq *virq);
int kvmod_irqfd_module_init(void);
void kvmod_irqfd_module_exit(void);

/* pit_dev.c */
long kvmod_vpit_ioctl(struct kvmod_virq *virq, unsigned int ioctl,
		      void __user *argp);
void kvmod_vpit_destroy(struct kvmod_virq *virq);
void kvmod_vpit_irq0_acked(struct kvmod_virq *virq);
void kvmod_vpit_irq0_unmasked(struct kvmod_virq *virq);

#endif /* KVMOD_IRQCHIP_H */
