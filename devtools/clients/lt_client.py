#!/usr/bin/python3
"""Seed or download one torrent with python3-libtorrent (Debian), for interop tests and benchmarks.

Prints one JSON object per line on stdout: {"event": "listening"|"first_byte"|"progress"|"finished"|"error"|"stopped", ...};
"stopped", the last, carries this process's getrusage (CPU, peak RSS) and the payload it moved.
Runs until SIGTERM/SIGINT, or until the download finishes when --exit-on-complete is given.
"""
import argparse
import json
import resource
import signal
import sys
import time

import libtorrent as lt


def emit(**kw):
    kw["t"] = round(time.time(), 3)
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torrent", help=".torrent file (or use --magnet)")
    ap.add_argument("--magnet", help="magnet link to resolve (its metadata from peers, e.g. found on the DHT)")
    ap.add_argument("--dht-bootstrap", action="append", default=[],
                    help="host:port of a DHT node to bootstrap from (repeatable); turns libtorrent's DHT on")
    ap.add_argument("--save-path", required=True)
    ap.add_argument("--host", required=True, help="listen and outgoing interface address, e.g. 127.0.0.2")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--peer", action="append", default=[], help="host:port to connect to (repeatable)")
    ap.add_argument("--tracker", action="append", default=[], help="extra announce URL (repeatable)")
    ap.add_argument("--exit-on-complete", action="store_true")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between progress lines")
    ap.add_argument("--connections-limit", type=int, default=200, help="most peer connections (libtorrent's default is 200)")
    ap.add_argument("--listen-queue", type=int, default=5, help="listen backlog (libtorrent's default is 5; a crowd dialling at once needs more)")
    ap.add_argument("--upload-rate", type=int, default=0, help="upload limit in bytes/s (0: none), e.g. a home line for a streaming bench")
    ap.add_argument("--encryption", choices=["enabled", "forced", "disabled"], default="enabled",
                    help="MSE/PE: out_enc_policy and in_enc_policy (forced also sets allowed_enc_level rc4); libtorrent's default is enabled")
    args = ap.parse_args()

    settings = {
        "listen_interfaces": "%s:%d" % (args.host, args.port),
        "outgoing_interfaces": args.host,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "allow_multiple_connections_per_ip": True,
        "announce_to_all_trackers": True,
        "announce_to_all_tiers": True,
        # Test trackers ask for re-announces every second or two; libtorrent's default floor is 300 s.
        "min_announce_interval": 1,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        "user_agent": "seedpay-test-libtorrent",
        # Loopback benchmarks: do not let defaults tuned for the internet be the bottleneck.
        "connections_limit": args.connections_limit,
        "listen_queue_size": args.listen_queue,
        "max_out_request_queue": 1500,
        "max_allowed_in_request_queue": 2000,
        "send_buffer_watermark": 4 * 1024 * 1024,
        "cache_size": 4096,
        "upload_rate_limit": args.upload_rate,
    }
    if args.dht_bootstrap:
        settings.update({
            "enable_dht": True,
            "dht_bootstrap_nodes": ",".join(args.dht_bootstrap),
            # A DHT on 127.0.0.x: libtorrent's defaults drop it as "dark internet", allow one node per IP range and
            # prefer node ids derived from public IPs (BEP 42); none of that can hold on loopback.
            "dht_ignore_dark_internet": False,
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
            "dht_prefer_verified_node_ids": False,
            "dht_enforce_node_id": False,
            "dht_announce_interval": 5,
        })
        settings["alert_mask"] = settings["alert_mask"] | lt.alert.category_t.dht_notification
    policy = {"enabled": lt.enc_policy.pe_enabled, "forced": lt.enc_policy.pe_forced, "disabled": lt.enc_policy.pe_disabled}[args.encryption]
    settings.update({"out_enc_policy": int(policy), "in_enc_policy": int(policy)})
    if args.encryption == "forced":
        # RC4 only: with pe_both a forced connection could still select plaintext after the obfuscated handshake
        settings.update({"allowed_enc_level": int(lt.enc_level.rc4), "prefer_rc4": True})
    ses = lt.session(settings)
    if args.upload_rate > 0:
        # libtorrent puts loopback and LAN peers in a peer class without rate limits: put everyone in the global one
        everyone = lt.ip_filter()
        everyone.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(everyone)
    if args.magnet:
        params = lt.parse_magnet_uri(args.magnet)
        info_hash = str(params.info_hashes.v1) if hasattr(params, "info_hashes") else str(params.info_hash)
    else:
        info = lt.torrent_info(args.torrent)
        params = lt.add_torrent_params()
        params.ti = info
        info_hash = str(info.info_hash())
    params.save_path = args.save_path
    handle = ses.add_torrent(params)
    for url in args.tracker:
        handle.add_tracker({"url": url, "tier": 0})
    handle.resume()

    stopping = {"flag": False}

    def on_signal(_signum, _frame):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    peers = []
    for p in args.peer:
        host, port = p.rsplit(":", 1)
        peers.append((host, int(port)))

    emit(event="listening", host=args.host, port=ses.listen_port(), info_hash=info_hash)
    finished_at = None
    first_byte_at = None
    last_connect = 0.0
    last_emit = 0.0
    while not stopping["flag"]:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert)):
                emit(event="error", message=a.message())
        s = handle.status()
        now = time.time()
        checking = s.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
        if peers and not checking and s.num_peers == 0 and now - last_connect > 2:
            for p in peers:
                handle.connect_peer(p)
            last_connect = now
        if first_byte_at is None and s.total_payload_download > 0:
            first_byte_at = now
            emit(event="first_byte", total_download=s.total_payload_download)
        if s.is_seeding and finished_at is None:
            finished_at = now
            emit(event="finished", total_done=s.total_done, total_payload_download=s.total_payload_download)
            if args.exit_on_complete:
                break
        if now - last_emit >= args.interval:
            emit(event="progress", progress=s.progress, state=str(s.state), peers=s.num_peers,
                 rate_down=s.download_payload_rate, rate_up=s.upload_payload_rate,
                 total_download=s.total_payload_download, total_upload=s.total_payload_upload,
                 seeding=s.is_seeding, dht_nodes=ses.status().dht_nodes)
            last_emit = now
        time.sleep(0.05)
    s = handle.status()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # What a benchmark compares with the agent's `exit` event: this process's CPU and peak RSS (ru_maxrss is KiB on Linux).
    emit(event="stopped", cpu_user_ms=round(usage.ru_utime * 1000), cpu_system_ms=round(usage.ru_stime * 1000),
         max_rss_kib=usage.ru_maxrss, total_download=s.total_payload_download, total_upload=s.total_payload_upload)


if __name__ == "__main__":
    main()
