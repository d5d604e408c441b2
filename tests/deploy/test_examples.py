"""The deployment examples in deploy/: systemd units, the environment file, nginx and Caddy.

What can run here runs: `systemd-analyze verify` on the units, `nginx -t` and a live nginx in
front of gunicorn (each skipped, saying why, without its tool). The parser checks below run
everywhere.
"""

import configparser
import datetime
import ipaddress
import os
import re
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jichikai import create_app
from jichikai.config import DefaultConfig
from jichikai.extensions import db

from ..servers import ROOT, free_port, gunicorn_command, running, site_env, upgraded_sqlite

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("jichikai-*.*"))
SERVICES = [unit for unit in UNITS if unit.suffix == ".service"]
ENV_EXAMPLE = DEPLOY / "jichikai.env.example"
NGINX_SITE = DEPLOY / "nginx" / "jichikai.conf"
CADDYFILE = DEPLOY / "Caddyfile"
INSTALLED = "/srv/jichikai"  # where the examples expect the checkout
ENV_FILE = "/etc/jichikai/jichikai.env"
SECRET_NAMES = (
    "SECRET_KEY",
    "CARD_PEPPER",
    "PASSWORD",
    "TOKEN",
    "PRIVATE_KEY",
    "SECRET_ACCESS_KEY",
    "CREDENTIALS_KEY",
)


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path)
    return parser


def exec_start(path: Path) -> list[str]:
    return shlex.split(unit(path)["Service"]["ExecStart"])


# --- systemd ----------------------------------------------------------------------------


def test_the_examples_are_there():
    names = {path.name for path in UNITS}
    assert {"jichikai-web.service", "jichikai-worker.service"} <= names
    assert {"jichikai-backup.service", "jichikai-backup.timer"} <= names


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_each_service_runs_the_checkout_with_the_environment_file(path):
    service = unit(path)["Service"]
    assert service["WorkingDirectory"] == INSTALLED
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["User"] == "jichikai"
    assert service["UMask"] == "0077"
    assert f"{INSTALLED}/instance" in service["ReadWritePaths"].split()
    program = exec_start(path)[0]
    assert program.startswith(f"{INSTALLED}/.venv/bin/")
    assert (ROOT / Path(program).relative_to(INSTALLED)).exists(), program


def test_the_web_unit_runs_gunicorn_with_the_repository_settings():
    args = exec_start(DEPLOY / "systemd" / "jichikai-web.service")
    assert Path(args[0]).name == "gunicorn"
    assert args[1:] == ["-c", "gunicorn.conf.py", "wsgi:app"]
    assert (ROOT / "gunicorn.conf.py").exists() and (ROOT / "wsgi.py").exists()


@pytest.mark.parametrize(
    "name", ["jichikai-worker.service", "jichikai-backup.service"], ids=lambda n: n
)
def test_flask_units_run_real_commands(name, tmp_path):
    args = exec_start(DEPLOY / "systemd" / name)
    assert Path(args[0]).name == "flask" and args[1:3] == ["--app", "wsgi"]
    app = create_app({"TESTING": True, "SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[*args[3:], "--help"])
        db.engine.dispose()
    assert result.exit_code == 0, result.output


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (the parser checks above still ran)")
    env_file = tmp_path / "jichikai.env"
    env_file.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    for path in UNITS:
        text = path.read_text(encoding="utf-8")
        text = text.replace(ENV_FILE, str(env_file)).replace(INSTALLED, str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    own = [line for line in result.stderr.splitlines() if "jichikai" in line]
    assert own == [], result.stderr


# --- the environment file ---------------------------------------------------------------


def env_lines(path: Path) -> list[tuple[str, str, bool]]:
    """(name, value, commented) of each VAR=value line, commented-out ones too."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            found.append((match[2], match[3], bool(match[1])))
    return found


def test_every_jichikai_variable_of_the_env_example_is_a_setting():
    names = [name for name, _value, _commented in env_lines(ENV_EXAMPLE)]
    settings = [name.removeprefix("JICHIKAI_") for name in names if name.startswith("JICHIKAI_")]
    assert len(settings) >= 8
    unknown = [name for name in settings if not hasattr(DefaultConfig, name)]
    assert unknown == []


def test_the_env_example_holds_no_secret():
    for name, value, commented in env_lines(ENV_EXAMPLE):
        if any(part in name for part in SECRET_NAMES):
            assert commented and value == "", name
        assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"a password in {name}"


def test_the_env_example_configures_the_app_behind_one_proxy(monkeypatch, tmp_path):
    for name, value, commented in env_lines(ENV_EXAMPLE):
        if not commented:
            monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert app.config["TRUSTED_PROXIES"] == 1
    assert app.config["HTTPS"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://jichikai@/")
    assert app.config["PUSH_VAPID_SUBJECT"].startswith("mailto:")


# --- reverse proxies --------------------------------------------------------------------


def nginx_size(value: str) -> int:
    number, unit_ = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit_.lower()]


def test_the_proxies_refuse_bodies_at_the_apps_limit():
    nginx = NGINX_SITE.read_text(encoding="utf-8")
    (size,) = re.findall(r"^\s*client_max_body_size\s+(\S+);", nginx, re.M)
    assert nginx_size(size) == DefaultConfig.MAX_CONTENT_LENGTH
    caddy = CADDYFILE.read_text(encoding="utf-8")
    (caddy_size,) = re.findall(r"max_size\s+(\d+)MiB", caddy)
    assert int(caddy_size) * 1024**2 == DefaultConfig.MAX_CONTENT_LENGTH


def test_nginx_forwards_what_one_trusted_proxy_must():
    nginx = NGINX_SITE.read_text(encoding="utf-8")
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "proxy_pass http://127.0.0.1:8000;" in nginx
    assert "server_tokens off;" in nginx
    assert f"alias {INSTALLED}/static/;" in nginx
    assert "header -Server" in CADDYFILE.read_text(encoding="utf-8")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for kairan.example.jp and 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kairan.example.jp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("kairan.example.jp"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_or_skip() -> str:
    found = shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/bin")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is required in CI (apt-get install -y nginx-light)")
        pytest.skip("nginx not installed (apt-get install -y nginx-light); parser checks ran")
    return found


def local_nginx_config(folder: Path, https_port: int, http_port: int, app_port: int) -> Path:
    """The example site on local ports and files, inside a minimal nginx.conf."""
    cert, key = _self_signed(folder)
    site = NGINX_SITE.read_text(encoding="utf-8")
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)
    site = site.replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("/etc/letsencrypt/live/kairan.example.jp/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/kairan.example.jp/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{folder}/")
    site = site.replace(f"{INSTALLED}/static/", f"{ROOT}/static/")
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
    (folder / "site.conf").write_text(site, encoding="utf-8")
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    config = folder / "nginx.conf"
    config.write_text(
        f"""daemon off;
user root;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {folder}/site.conf;
}}
""",
        encoding="utf-8",
    )
    return config


def test_nginx_accepts_the_example(tmp_path):
    nginx = nginx_or_skip()
    config = local_nginx_config(tmp_path, 8443, 8080, 8000)
    result = subprocess.run(
        [nginx, "-t", "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def two_free_ports() -> tuple[int, int]:
    """Two different free ports (the first is held while the second is found)."""
    first = free_port()
    with socket.socket() as held:
        held.bind(("127.0.0.1", first))
        second = free_port()
    return first, second


@pytest.fixture
def behind_nginx(tmp_path):
    """gunicorn on an upgraded SQLite database behind the example nginx: the https base URL
    and the certificate to trust."""
    nginx = nginx_or_skip()
    app_port = free_port()
    env = site_env(
        upgraded_sqlite(tmp_path / "site.sqlite3"),
        app_port,
        JICHIKAI_TRUSTED_PROXIES="1",
        JICHIKAI_PUBLIC_URL="https://kairan.example.jp",
    )
    with running(gunicorn_command(), app_port, env):
        https_port, http_port = two_free_ports()
        config = local_nginx_config(tmp_path, https_port, http_port, app_port)
        args = [nginx, "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
        with running(args, https_port):
            yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", tmp_path


def test_nginx_serves_the_app_and_its_static_files(behind_nginx):
    base, plain, folder = behind_nginx
    verify = str(folder / "cert.pem")

    health = requests.get(f"{base}/healthz", verify=verify, timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["Server"] == "nginx"  # no version
    assert health.headers["Strict-Transport-Security"].startswith("max-age=")

    script = requests.get(f"{base}/static/js/app.js", verify=verify, timeout=10)
    assert script.status_code == 200
    assert script.content == (ROOT / "static" / "js" / "app.js").read_bytes()
    assert script.headers["Cache-Control"] == "no-cache"
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    again = requests.get(
        f"{base}/static/js/app.js",
        headers={"If-None-Match": script.headers["ETag"]},
        verify=verify,
        timeout=10,
    )
    assert again.status_code == 304

    icon = requests.get(f"{base}/static/icons/icon-192.png", verify=verify, timeout=10)
    assert icon.headers["Cache-Control"] == "public, max-age=86400"

    moved = requests.get(f"{plain}/notices/", allow_redirects=False, timeout=10)
    assert moved.status_code == 301
    assert moved.headers["Location"].startswith("https://")


def test_nginx_refuses_a_body_over_the_apps_limit(behind_nginx):
    base, _plain, folder = behind_nginx
    body = b"x" * (DefaultConfig.MAX_CONTENT_LENGTH + 1)
    answer = requests.post(
        f"{base}/notices/new", data=body, verify=str(folder / "cert.pem"), timeout=30
    )
    assert answer.status_code == 413
    assert "nginx" in answer.text  # refused by the proxy, before gunicorn
