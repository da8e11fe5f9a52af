/* port — bring an ethdev port up the same way in every DPDK agent, and read it back.
 *
 * Links are whatever the EAL arguments created: vhost-user (net_vhost, the generator's
 * side), virtio-user (the NF's side), memif, or PCI ports; the agents see ports only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

struct port_conf {
        uint16_t nb_rxq, nb_txq;
        uint16_t nb_rxd, nb_txd;   /* 0: the defaults below */
        struct rte_mempool *pool;
        bool lsc;                  /* ask for link-state-change interrupts */
};

#define PORT_RXD 1024
#define PORT_TXD 1024

/* Configures, sets up queues, starts the port and enables promiscuous mode.  Returns 0 or
 * a negative errno with err holding one sentence. */
int port_start(uint16_t port, const struct port_conf *c, char *err, size_t errlen);

/* Waits up to timeout_ms for link up; returns true when up. */
bool port_wait_link(uint16_t port, unsigned timeout_ms);
bool port_link_up(uint16_t port);

/* {"port", "name", "socket", "link", "rx", "tx", "imissed", "ierrors", "oerrors", "rx_nombuf"} */
json_t *port_json(uint16_t port);

/* A mempool for nb mbufs on socket, named after the agent; NULL with rte_errno set. */
struct rte_mempool *port_pool(const char *name, unsigned nb, int socket);
