/* drivers — is the DPDK driver for the link there, before anything starts?
 *
 * Debian ships DPDK's poll-mode drivers as plugins, one package each, that EAL loads
 * from <libdir>/dpdk/pmds-<ABI>/; a missing one makes an agent fail deep in its start
 * with a DPDK message.  The controller looks first, and says which package to install. */
#pragma once

#include <stddef.h>

#include "base/diag.h"

/* The plugin directory under libdir ("<libdir>/dpdk/pmds-23.0"), or "" when there is none
 * (a DPDK built with its drivers inside: nothing to check). */
void drivers_dir(const char *libdir, char *buf, size_t len);

/* 0 when every driver link needs (vhost: net_vhost and net_virtio; memif: net_memif) is
 * in dir (or dir is ""); else -ENOENT and one sentence naming the driver and the package. */
int drivers_check(const char *dir, const char *link, struct diag *d);

/* A PCI address as DPDK's -a takes it (0000:3b:00.0 or 3b:00.0) in sysfs's full form;
 * -EINVAL for anything else. */
int drivers_pci_addr(const char *s, char *full, size_t len);

/* 0 when the port at PCI address addr (given with option opt: --ports, --gen-ports)
 * exists under sysfs, is bound to a driver DPDK can use (vfio-pci, igb_uio,
 * uio_pci_generic) and, for vfio-pci, has an IOMMU group or runs in vfio's explicit
 * no-IOMMU mode; else one sentence with the command that fixes it (a port still bound to
 * its kernel driver also says its link state and speed, from sysfs's net/IFACE).  Whether
 * the link is up, and at what speed, is only known once DPDK drives the port: the
 * agents report it (isolab-gen's hello). */
int drivers_check_port(const char *sysfs, const char *addr, const char *opt, struct diag *d);
