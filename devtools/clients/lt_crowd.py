#!/usr/bin/python3
"""Many python3-libtorrent sessions in one process, each on its own address, all downloading one torrent from
the peers given: a crowd that connects to one seeder at once (the 200-connection benchmark).

No tracker, no DHT, no LSD and no peer exchange (the sessions are made without libtorrent's default plugins),
so every session talks to the given peers only and the seeder alone serves every byte. The sessions are made
and listening first ("ready"); they dial on SIGUSR1, so several crowd processes can be released together.

One JSON object per line on stdout: ready, go, first_byte / finished (per session, with its index), progress
(every --interval s: sessions finished, payload bytes, connected peers), error, stopped (getrusage of this
process and totals). Runs until every session finished, --timeout passes, or SIGTERM/SIGINT.
"""
import argparse
import json
import os
import resource
import signal
import sys
import time

import libtorrent as lt


def emit(**kw):
    kw["t"] = round(time.time(), 3)
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def session_for(host, connections_limit):
    settings = {
        "listen_interfaces": "%s:0" % host,
        "outgoing_interfaces": host,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "alert_mask": lt.alert.category_t.error_notification,
        "user_agent": "seedpay-test-libtorrent-crowd",
        # Plain BitTorrent, as a seeder without MSE/PE (the agent) needs: libtorrent would first dial obfuscated,
        # be dropped and redial in plaintext, which times libtorrent's fallback rather than the seeder.
        "out_enc_policy": int(lt.enc_policy.disabled),
        "in_enc_policy": int(lt.enc_policy.disabled),
        "connections_limit": connections_limit,
        # The same loopback settings lt_client.py uses, so a crowd peer asks as fast as a single one would.
        "max_out_request_queue": 1500,
        "max_allowed_in_request_queue": 2000,
        "send_buffer_watermark": 4 * 1024 * 1024,
        # Hundreds of sessions in one process: libtorrent's 10 disk threads each would be thousands of threads.
        "aio_threads": 2,
        "hashing_threads": 1,
    }
    # flags 0: no default plugins (ut_pex, ut_metadata, smart_ban), so the crowd cannot find each other.
    return lt.session(settings, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torrent", required=True)
    ap.add_argument("--save-root", required=True, help="each session downloads into <save-root>/<index>")
    ap.add_argument("--host", action="append", required=True, help="one session per --host (repeatable)")
    ap.add_argument("--first-index", type=int, default=0, help="index of the first session, for the event lines")
    ap.add_argument("--peer", action="append", required=True, help="host:port to download from (repeatable)")
    ap.add_argument("--connections-limit", type=int, default=4)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds after SIGUSR1 to give up")
    args = ap.parse_args()

    flags = {"go": False, "stop": False}
    signal.signal(signal.SIGUSR1, lambda _s, _f: flags.update(go=True))
    signal.signal(signal.SIGTERM, lambda _s, _f: flags.update(stop=True))
    signal.signal(signal.SIGINT, lambda _s, _f: flags.update(stop=True))

    info = lt.torrent_info(args.torrent)
    peers = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in args.peer]
    crowd = []
    for k, host in enumerate(args.host):
        index = args.first_index + k
        ses = session_for(host, args.connections_limit)
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = os.path.join(args.save_root, str(index))
        params.trackers = []
        handle = ses.add_torrent(params)
        handle.replace_trackers([])
        crowd.append({"index": index, "ses": ses, "handle": handle, "first": None, "done": None, "dialled": 0.0})
    emit(event="ready", sessions=len(crowd), ports=[c["ses"].listen_port() for c in crowd])

    while not flags["go"] and not flags["stop"]:
        time.sleep(0.01)
    started = time.time()
    emit(event="go")
    last_emit = 0.0
    while not flags["stop"]:
        now = time.time()
        finished = 0
        total = 0
        connected = 0
        for c in crowd:
            for a in c["ses"].pop_alerts():
                if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert)):
                    emit(event="error", index=c["index"], message=a.message())
            if c["done"] is not None:
                finished += 1
                total += info.total_size()
                continue
            s = c["handle"].status()
            total += s.total_payload_download
            connected += s.num_peers
            checking = s.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
            # Dial at once, and again if the connection is lost (a choked peer stays connected; a lost one is redialled).
            if not checking and s.num_peers == 0 and now - c["dialled"] > 2:
                for p in peers:
                    c["handle"].connect_peer(p)
                c["dialled"] = now
            if c["first"] is None and s.total_payload_download > 0:
                c["first"] = now
                emit(event="first_byte", index=c["index"])
            if s.is_seeding:
                c["done"] = now
                emit(event="finished", index=c["index"], total_payload_download=s.total_payload_download)
        if now - last_emit >= args.interval:
            emit(event="progress", finished=finished, sessions=len(crowd), total_download=total, peers=connected)
            last_emit = now
        if finished == len(crowd) or now - started > args.timeout:
            break
        time.sleep(0.05)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    emit(event="stopped", finished=sum(1 for c in crowd if c["done"] is not None), sessions=len(crowd),
         cpu_user_ms=round(usage.ru_utime * 1000), cpu_system_ms=round(usage.ru_stime * 1000), max_rss_kib=usage.ru_maxrss)


if __name__ == "__main__":
    main()
