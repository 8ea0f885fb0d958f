"""docs/nginx-limites.conf, the example front for production (HTTPS, the proxy's own limits on
rates and sizes), is a configuration Debian's nginx accepts: `nginx -t` on it, with a
throwaway certificate in place of the real one."""

from __future__ import annotations

import shutil
import subprocess

from settings import PROJECT_DIR

EXAMPLE = PROJECT_DIR / "docs" / "nginx-limites.conf"


def test_the_nginx_example_with_its_limits_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=assistant.exemple.fr", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = EXAMPLE.read_text().replace("/etc/ssl/qp/", f"{tmp_path}/")
    assert site.count(str(tmp_path)) == 2
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
    for limit in ("limit_req_zone", "client_max_body_size", "limit_conn", "return 403"):
        assert limit in site
