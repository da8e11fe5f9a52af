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
        bool rx_timestamp;         /* turn on the NIC's RX timestamps (RTE_ETH_RX_OFFLOAD_TIMESTAMP), when offered */
};

#define PORT_RXD 1024
#define PORT_TXD 1024

/* Configures, sets up queues, starts the port and enables promiscuous mode.  Returns 0 or
 * a negative errno with err holding one sentence. */
int port_start(uint16_t port, const struct port_conf *c, char *err, size_t errlen);

/* Waits up to timeout_ms for link up; returns true when up. */
bool port_wait_link(uint16_t port, unsigned timeout_ms);
bool port_link_up(uint16_t port);

/* Whether the port's NIC stamps received packets itself (RTE_ETH_RX_OFFLOAD_TIMESTAMP)
 * and its clock can be read (rte_eth_read_clock): hardware RX timestamps are usable. */
bool port_rx_timestamp_capable(uint16_t port);
/* What the port is: {"port", "name", "driver", "link_up", "speed_mbps" (null when unknown),
 * "full_duplex", "rx_timestamp" (port_rx_timestamp_capable)}. */
json_t *port_describe(uint16_t port);
/* {"port", "name", "socket", "link", "rx", "tx", "imissed", "ierrors", "oerrors", "rx_nombuf"} */
json_t *port_json(uint16_t port);

/* A mempool for nb mbufs on socket, named after the agent; NULL with rte_errno set. */
struct rte_mempool *port_pool(const char *name, unsigned nb, int socket);
