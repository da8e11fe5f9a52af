/* frame — see frame.h. */
#include "agents/common/frame.h"

#include <errno.h>

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
        put16(p, (uint16_t)(v >> 16));
        put16(p + 2, (uint16_t)v);
}

uint16_t frame_ip_checksum(const uint8_t *hdr, size_t len) {
        uint32_t sum = 0;
        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (uint32_t)(hdr[i] << 8 | hdr[i + 1]);
        if (len & 1)
                sum += (uint32_t)hdr[len - 1] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t)~sum;
}

int frame_build_headers(uint8_t *buf, const struct frame_tmpl *t, unsigned flow) {
        if (t->frame_size < FRAME_MIN_SIZE || t->frame_size > FRAME_MAX_SIZE)
                return -EINVAL;
        size_t len = frame_len(t->frame_size);
        memcpy(buf, t->dst_mac, 6);
        memcpy(buf + 6, t->src_mac, 6);
        put16(buf + 12, 0x0800);

        uint8_t *ip = buf + 14;
        ip[0] = 0x45;                      /* version 4, 5 words */
        ip[1] = 0;                         /* DSCP/ECN */
        put16(ip + 2, (uint16_t)(len - 14));
        put16(ip + 4, 0);                  /* identification */
        put16(ip + 6, 0x4000);             /* don't fragment */
        ip[8] = 64;                        /* TTL */
        ip[9] = 17;                        /* UDP */
        put16(ip + 10, 0);
        put32(ip + 12, t->src_ip);
        put32(ip + 16, t->dst_ip);
        put16(ip + 10, frame_ip_checksum(ip, 20));

        uint8_t *udp = ip + 20;
        put16(udp, (uint16_t)(t->src_port + flow));
        put16(udp + 2, FRAME_UDP_DST);
        put16(udp + 4, (uint16_t)(len - 34));
        put16(udp + 6, 0);                 /* no UDP checksum: allowed over IPv4 */
        return 0;
}
