// The MONITORING section of the man page: volume use, the metrics (names and help read from
// the code that exports them) and the health server.
import { metricCatalogue } from '../metrics/metrics.js';
import { bold, prose, verbatim } from './manpage.js';

export const SCRAPE_CONFIG = `scrape_configs:
  - job_name: nfsctl
    scrape_interval: 30s
    scrape_timeout: 25s
    static_configs:
      - targets: ['198.51.100.11:9655']   # nfsctl health serve --listen 198.51.100.11:9655`;

export function monitoringSection(): string[] {
  return [
    '.SH MONITORING',
    prose(
      "Volume use comes from each backend's own accounting, read with the handful of commands `volume list` runs anyway: an LV's (or a mapped RBD image's) XFS filesystem by `df` of its mount, an xfsquota volume by the XFS project quota report (`xfs_quota -x -c 'report -p -n -N -b -i'`, blocks and inodes), an RBD image that is not mapped by `rbd du` of the pool (without the fast-diff feature it counts every 4 MiB object that exists). A volume is judged by the VIP holder's copy, else the primary's, else the backup's. Where no host can tell (an LV that is not mounted, xfsquota with quota: false) the use is unknown, never 0: `volume list --over` leaves such volumes out and says how many. `health` warns at health.usageWarnPercent (default 85) and is critical at health.usageCriticalPercent (default 95), naming each volume, its numbers and a resize that gives it room.",
    ),
    '.PP',
    prose(
      "`nfsctl metrics` prints the pair's state in the Prometheus text format (0.0.4) from one round of health checks; `--textfile DIR` writes DIR/nfsctl.prom instead (a private temp file in DIR, fsynced, mode 0644, renamed over the old one), for node_exporter's textfile collector; `nfsctl metrics install-timer` installs /etc/cron.d/nfsctl-metrics running it every minute. Label values are escaped as the format requires; Kubernetes label keys become label_<key> with other characters turned into _. The families:",
    ),
    ...metricCatalogue().flatMap((m) => ['.TP', bold(m.name), prose(`${m.type}. ${m.help}.`)]),
    '.PP',
    prose(
      '`nfsctl health serve` answers GET / and GET /health with {"health": "ok"} (HTTP 200), or {"health": "warn"} (200) or {"health": "critical"} (503) with the checks that are not ok, and GET /metrics with the metrics above; HEAD too; other paths 404, other methods 405. One round of checks (new SSH connections each round) answers every request for health.cacheTtl (default 10s); requests that arrive while a round runs wait for it. A client must send its request within --request-timeout (default 10s); malformed requests get 400 and a closed connection. It listens on health.listen (default 127.0.0.1:9655, loopback only) or --listen; SIGTERM stops it (exit 143, after the answers in flight). packaging/nfsctl-health.service is a systemd unit for it. A Prometheus scrape config:',
    ),
    '.PP',
    '.RS 4',
    '.nf',
    ...SCRAPE_CONFIG.split('\n').map(verbatim),
    '.fi',
    '.RE',
    '.PP',
    prose('Thresholds and the server settings are config keys (see CONFIGURATION: health.*).'),
  ];
}
