/* link — the virtual links between generator and NF, set up by the agents themselves.
 *
 *   vhost   the generator owns vhost-user server sockets DIR/vhost-N.sock (the host or
 *           vswitch side); the NF attaches to them with virtio-user (the container side).
 *           The path DPDK documents for container NFs, and the one OVS-DPDK speaks.
 *   memif   the generator is the memif server on DIR/memif.sock (ids 0..N-1), the NF the
 *           client.
 *   pci     real ports: whatever the EAL allow-list (-a ADDR) gave; nothing to attach.
 *
 * Before attaching, each socket path is checked, so a mistake is one sentence, not a
 * DPDK log: the directory must be a writable directory; a server's socket must not
 * exist yet (a live one is busy — another process serves it; a dead one is stale — left
 * by an earlier run); a client's socket must exist and accept connections.  Devices are
 * hot-plugged after EAL starts (rte_dev_probe), because a vhost port only listens once
 * started and its client can only attach after that. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum link_kind { LINK_NONE, LINK_VHOST, LINK_MEMIF, LINK_PCI };

/* "vhost", "memif", "pci"; LINK_NONE for anything else. */
enum link_kind link_kind_from_string(const char *s);

/* Checks path for a server to create (server) or a client to attach to (!server).
 * Returns 0, or -errno with err holding the sentence. */
int link_check_socket(const char *path, bool server, char *err, size_t errlen);

/* The --link options both agents take. */
struct link_opts {
        enum link_kind kind;   /* LINK_NONE: ports come from EAL (--vdev, -a) */
        const char *dir;       /* --link-dir */
        unsigned ports;        /* --link-ports, default 2 */
        unsigned queues;       /* --link-queues, default 1 */
        unsigned ring;         /* --link-ring: descriptors per ring; 0: DPDK's default (256) */
};

#define LINK_OPTS_DEFAULT { .kind = LINK_NONE, .ports = 2, .queues = 1 }

/* Rows of an agent's option table (agents/common/opts.h); their getopt values are
 * LINK_OPT_* and go to link_opts_parse(). */
enum { LINK_OPT_KIND = 0x1000, LINK_OPT_DIR, LINK_OPT_PORTS, LINK_OPT_QUEUES, LINK_OPT_RING };
#define LINK_AGENT_OPTIONS                                                                                          \
        { "link", "vhost|memif|pci", LINK_OPT_KIND,                                                                 \
          "the link to the peer agent; without it the ports come from EAL (--vdev, -a)" },                        \
        { "link-dir", "DIR", LINK_OPT_DIR, "where the link's sockets are (vhost, memif)" },                        \
        { "link-ports", "N", LINK_OPT_PORTS, "ports on the link (default 2)" },                                    \
        { "link-queues", "N", LINK_OPT_QUEUES, "queue pairs per port (default 1)" },                               \
        { "link-ring", "N", LINK_OPT_RING,                                                                          \
          "descriptors per ring, a power of two from 64 to 4096 (virtio-user queue_size, memif rsize; default 256)" }

/* Handles one of the LINK_OPT_* options; returns 1 if c was one (0 if not), or -EINVAL
 * after printing "PROG: --OPTION VALUE: ..." to stderr. */
int link_opts_parse(struct link_opts *o, int c, const char *arg, const char *prog);
/* After parsing: vhost and memif need a directory.  Returns 0 or -EINVAL (printed). */
int link_opts_check(const struct link_opts *o, const char *prog);

/* Creates (server: the generator) or attaches (client: the NF) o->ports ports of o->kind
 * in o->dir, each with o->queues queue pairs of o->ring descriptors.  Their port ids follow any ports EAL
 * already made.  A server's ports must then be started (port_start) before a client
 * can attach.  Returns 0 or -errno with err set. */
int link_attach(const struct link_opts *o, bool server, char *err, size_t errlen);
