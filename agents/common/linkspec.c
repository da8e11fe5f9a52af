/* linkspec — see linkspec.h. */
#include "agents/common/linkspec.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

void link_virtio_devargs(const char *id, const char *path, unsigned queues, unsigned ring, char *buf, size_t len) {
        int n = snprintf(buf, len, "net_virtio_user%s,path=%s,queues=%u", id, path, queues);
        if (ring && n > 0 && (size_t)n < len)
                snprintf(buf + n, len - (size_t)n, ",queue_size=%u", ring);
}

/* vhost: the generator owns vhost-user server sockets DIR/vhost-N.sock; the NF attaches
 * with virtio-user. */
static void vhost_socket(const char *dir, unsigned i, char *buf, size_t len) {
        snprintf(buf, len, "%s/vhost-%u.sock", dir, i);
}

static void vhost_devargs(bool server, const char *path, unsigned i, unsigned queues, unsigned ring, char *buf, size_t len) {
        char id[16];
        snprintf(id, sizeof(id), "%u", i);
        if (server)
                snprintf(buf, len, "net_vhost%u,iface=%s,queues=%u", i, path, queues);
        else
                link_virtio_devargs(id, path, queues, ring, buf, len);
}

/* memif: one socket DIR/memif.sock, ids 0..N-1; the generator is the server. */
static void memif_socket(const char *dir, unsigned i, char *buf, size_t len) {
        (void)i;
        snprintf(buf, len, "%s/memif.sock", dir);
}

static void memif_devargs(bool server, const char *path, unsigned i, unsigned queues, unsigned ring, char *buf, size_t len) {
        (void)queues;
        int n = snprintf(buf, len, "net_memif%u,role=%s,id=%u,socket=%s,socket-abstract=no", i, server ? "server" : "client",
                         i, path);
        unsigned log2 = 0;
        while (ring && (1u << log2) < ring)
                log2++;
        if (ring && n > 0 && (size_t)n < len)
                snprintf(buf + n, len - (size_t)n, ",rsize=%u", log2); /* memif takes log2 of the ring */
}

const struct link_spec link_specs[] = {
        { LINK_VHOST, "vhost", true, "net_vhost", "the generator's vhost-user ports", "net_virtio", "the NF's virtio-user ports",
          vhost_socket, vhost_devargs },
        { LINK_MEMIF, "memif", true, "net_memif", "the memif ports", "net_memif", "the memif ports", memif_socket,
          memif_devargs },
        /* pci: real ports, whatever the EAL allow-list (-a ADDR) gave; nothing to attach. */
        { LINK_PCI, "pci", false, NULL, NULL, NULL, NULL, NULL, NULL },
};
const size_t n_link_specs = sizeof(link_specs) / sizeof(link_specs[0]);

const struct link_spec *link_spec_find(const char *name) {
        for (size_t i = 0; name && i < n_link_specs; i++)
                if (strcmp(link_specs[i].name, name) == 0)
                        return &link_specs[i];
        return NULL;
}

const struct link_spec *link_spec_of(enum link_kind kind) {
        for (size_t i = 0; i < n_link_specs; i++)
                if (link_specs[i].kind == kind)
                        return &link_specs[i];
        return NULL;
}

const char *link_spec_names(void) {
        static char list[64];
        if (!list[0])
                for (size_t i = 0; i < n_link_specs; i++)
                        join_or(list, sizeof(list), i, n_link_specs, link_specs[i].name);
        return list;
}
