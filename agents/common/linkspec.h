/* linkspec — the link kinds in one table: their names, what they need of DPDK, where
 * their sockets are and the devargs of their ports.  No DPDK here: the agents attach
 * ports from it (link.c), the controller checks drivers and builds testpmd's command line
 * from it (one place for the virtio-user devargs). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "agents/common/link.h"

struct link_spec {
        enum link_kind kind;
        const char *name;            /* --link NAME */
        bool sockets;                /* ports over unix sockets in --link-dir */
        /* The DPDK drivers each side needs (NULL: none), and what for (messages). */
        const char *server_driver, *server_what;
        const char *client_driver, *client_what;
        /* Port i's socket in dir (sockets only). */
        void (*socket)(const char *dir, unsigned i, char *buf, size_t len);
        /* Port i's devargs on the server (generator) or client (NF) side, ring descriptors
         * per queue (0: the driver's default). */
        void (*devargs)(bool server, const char *path, unsigned i, unsigned queues, unsigned ring, char *buf, size_t len);
};

extern const struct link_spec link_specs[];
extern const size_t n_link_specs;

/* The kind called name, or NULL. */
const struct link_spec *link_spec_find(const char *name);
const struct link_spec *link_spec_of(enum link_kind kind);
/* "vhost, memif or pci", for messages. */
const char *link_spec_names(void);

/* A virtio-user port (the container side of a vhost-user link): net_virtio_user<id>, with
 * ring descriptors per queue (0: DPDK's default; the vhost side follows the frontend). */
void link_virtio_devargs(const char *id, const char *path, unsigned queues, unsigned ring, char *buf, size_t len);
