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
