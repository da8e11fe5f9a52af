/* port — see port.h. */
/* rte_eth_read_clock (the NIC's clock, for hardware RX timestamps) is still marked
 * experimental in DPDK 22.11; it has been in ethdev unchanged since 19.08. */
#define ALLOW_EXPERIMENTAL_API 1
#include "agents/common/port.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

int port_start(uint16_t port, const struct port_conf *c, char *err, size_t errlen) {
        struct rte_eth_dev_info info;
        char name[RTE_ETH_NAME_MAX_LEN] = "?";
        int r;

        rte_eth_dev_get_name_by_port(port, name);
        r = rte_eth_dev_info_get(port, &info);
        if (r < 0) {
                snprintf(err, errlen, "port %u (%s): cannot read device info: %s", port, name, rte_strerror(-r));
                return r;
        }
        if (c->nb_rxq > info.max_rx_queues || c->nb_txq > info.max_tx_queues) {
                snprintf(err, errlen,
                         "port %u (%s) has %u RX and %u TX queues, %u and %u are needed; give the device more queues "
                         "(queues=N for vhost and virtio-user)",
                         port, name, info.max_rx_queues, info.max_tx_queues, c->nb_rxq, c->nb_txq);
                return -EINVAL;
        }
        struct rte_eth_conf conf = { 0 };
        conf.intr_conf.lsc = c->lsc && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) ? 1 : 0;
        if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
                conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
        if (c->rx_timestamp && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
                conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
        r = rte_eth_dev_configure(port, c->nb_rxq, c->nb_txq, &conf);
        if (r < 0) {
                snprintf(err, errlen, "port %u (%s): configure failed: %s", port, name, rte_strerror(-r));
                return r;
        }
        uint16_t rxd = c->nb_rxd ? c->nb_rxd : PORT_RXD, txd = c->nb_txd ? c->nb_txd : PORT_TXD;
        rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
        int socket = rte_eth_dev_socket_id(port);
        for (uint16_t q = 0; q < c->nb_rxq; q++) {
                r = rte_eth_rx_queue_setup(port, q, rxd, socket, NULL, c->pool);
                if (r < 0) {
                        snprintf(err, errlen, "port %u (%s): RX queue %u setup failed: %s", port, name, q, rte_strerror(-r));
                        return r;
                }
        }
        struct rte_eth_txconf txc = info.default_txconf;
        txc.offloads = conf.txmode.offloads;
        for (uint16_t q = 0; q < c->nb_txq; q++) {
                r = rte_eth_tx_queue_setup(port, q, txd, socket, &txc);
                if (r < 0) {
                        snprintf(err, errlen, "port %u (%s): TX queue %u setup failed: %s", port, name, q, rte_strerror(-r));
                        return r;
                }
        }
        r = rte_eth_dev_start(port);
        if (r < 0) {
                snprintf(err, errlen, "port %u (%s): start failed: %s", port, name, rte_strerror(-r));
                return r;
        }
        rte_eth_promiscuous_enable(port); /* not all virtual devices support it: not an error */
        return 0;
}

bool port_link_up(uint16_t port) {
        struct rte_eth_link link;
        return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

bool port_wait_link(uint16_t port, unsigned timeout_ms) {
        for (unsigned t = 0;; t += 10) {
                if (port_link_up(port))
                        return true;
                if (t >= timeout_ms)
                        return false;
                rte_delay_ms(10);
        }
}

bool port_rx_timestamp_capable(uint16_t port) {
        struct rte_eth_dev_info info;
        uint64_t clock;
        return rte_eth_dev_info_get(port, &info) == 0 && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) &&
               rte_eth_read_clock(port, &clock) == 0;
}

json_t *port_describe(uint16_t port) {
        struct rte_eth_dev_info info;
        struct rte_eth_link link = { 0 };
        char name[RTE_ETH_NAME_MAX_LEN] = "";
        rte_eth_dev_get_name_by_port(port, name);
        bool have_info = rte_eth_dev_info_get(port, &info) == 0;
        bool have_link = rte_eth_link_get_nowait(port, &link) == 0;
        bool known = have_link && link.link_speed != RTE_ETH_SPEED_NUM_NONE && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN;
        return json_pack("{s:i, s:s, s:s, s:b, s:o, s:b, s:b}", "port", port, "name", name, "driver",
                         have_info && info.driver_name ? info.driver_name : "?", "link_up",
                         have_link && link.link_status == RTE_ETH_LINK_UP, "speed_mbps",
                         known ? json_integer((json_int_t)link.link_speed) : json_null(), "full_duplex",
                         have_link && link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX, "rx_timestamp",
                         port_rx_timestamp_capable(port));
}

json_t *port_json(uint16_t port) {
        struct rte_eth_stats st = { 0 };
        char name[RTE_ETH_NAME_MAX_LEN] = "";
        rte_eth_dev_get_name_by_port(port, name);
        rte_eth_stats_get(port, &st);
        return json_pack("{s:i, s:s, s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "port", port, "name", name, "socket",
                         rte_eth_dev_socket_id(port), "link", port_link_up(port), "rx", (json_int_t)st.ipackets, "tx",
                         (json_int_t)st.opackets, "imissed", (json_int_t)st.imissed, "ierrors", (json_int_t)st.ierrors,
                         "oerrors", (json_int_t)st.oerrors, "rx_nombuf", (json_int_t)st.rx_nombuf);
}

struct rte_mempool *port_pool(const char *name, unsigned nb, int socket) {
        return rte_pktmbuf_pool_create(name, nb, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
}
