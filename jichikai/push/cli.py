"""`flask push ...` and `flask worker`."""

import click
from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..keys.services import shared_secret_key_problem
from .channels import ChannelOff, all_channels
from .models import Outbox, PushSubscription
from .vapid import (
    VapidError,
    app_vapid,
    forget_app_vapid,
    key_path,
    private_key_b64,
    public_key_b64,
    rotate_shared,
)


@click.group("push", help="Web Push: VAPID keys and sending.")
def push_cli() -> None:
    pass


@push_cli.command("vapid-keys")
@click.option(
    "--rotate",
    "do_rotate",
    is_flag=True,
    help="Replace the key pair. Every existing subscription stops working and is deleted; "
    "devices subscribe again when their member next opens the app.",
)
@click.option("--yes", is_flag=True, help="Do not ask before rotating.")
@click.option(
    "--show-private",
    is_flag=True,
    help="Also print the private key as the JICHIKAI_PUSH_VAPID_PRIVATE_KEY line to copy into "
    "the settings of every web and worker process (keep it secret).",
)
def vapid_keys(do_rotate: bool, yes: bool, show_private: bool) -> None:
    """Show the VAPID public key and where it comes from (creating it if missing), or rotate it.

    Every process uses the same key: JICHIKAI_PUSH_VAPID_PRIVATE_KEY when set, else the one
    kept in the database. A key an older version kept in instance/vapid_private.pem is moved
    into the database the first time it is needed. To keep the key in the settings instead,
    run this with --show-private and set the printed line for every process (docs/push.md).
    """
    app = current_app._get_current_object()
    if do_rotate:
        if not yes:
            click.confirm("Rotating deletes every push subscription. Continue?", abort=True)
        try:
            rotate_shared(app)
        except VapidError as error:
            raise click.ClickException(str(error)) from error
        forget_app_vapid(app)
        removed = db.session.execute(delete(PushSubscription)).rowcount
        db.session.commit()
        forget_app_vapid(app)
        click.echo(f"rotated; {removed} subscriptions deleted")
    try:
        vapid = app_vapid(app)
    except VapidError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()  # a key seeded in this transaction (never for VAPID, but cheap)
    if app.config.get("PUSH_VAPID_PRIVATE_KEY"):
        click.echo("source	setting (JICHIKAI_PUSH_VAPID_PRIVATE_KEY)")
    else:
        click.echo("source	database (the same for every process)")
        if key_path(app).exists():
            click.echo(
                f"# {key_path(app)} is no longer read once the key is in the database; "
                "it may be deleted",
                err=True,
            )
    click.echo(f"public key\t{public_key_b64(vapid)}")
    subject = (
        current_app.config.get("PUSH_VAPID_SUBJECT") or "(not set: JICHIKAI_PUSH_VAPID_SUBJECT)"
    )
    click.echo(f"subject\t{subject}")
    if show_private:
        click.echo(f"JICHIKAI_PUSH_VAPID_PRIVATE_KEY={private_key_b64(vapid)}")
    elif not app.config.get("PUSH_VAPID_PRIVATE_KEY"):
        click.echo(
            "# to give every process the key by its settings: flask push vapid-keys --show-private",
            err=True,
        )


def _send_channels(names: tuple[str, ...]) -> None:
    """Send what is due on each channel (all when none is named), once; say what happened."""
    channels = {c.name: c for c in all_channels()}
    unknown = [n for n in names if n not in channels]
    if unknown:
        raise click.BadParameter(
            f"unknown channel {unknown[0]!r} (known: {', '.join(channels)})", param_hint="--channel"
        )
    off, stuck = [], 0
    for name in names or tuple(channels):
        try:
            sender = channels[name].open(current_app._get_current_object())
        except ChannelOff as error:
            waiting = db.session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.channel == name, Outbox.status.in_(("pending", "sending")))
            )
            off.append(f"{name}: {error} ({waiting} waiting)")
            stuck += waiting
            continue
        try:
            click.echo(f"{name}\t{sender.send_pending()}")
        finally:
            sender.close()
    for line in off:
        click.echo(f"off\t{line}", err=True)
    if stuck or (off and names):
        raise click.ClickException("messages are waiting on a channel that is off")


@push_cli.command("send-pending")
def send_pending_command() -> None:
    """Send every outbox message that is due now, on every channel, once, and exit."""
    _send_channels(())


@click.group("outbox", help="The outbox of every channel (Web Push, email, LINE).")
def outbox_cli() -> None:
    pass


@outbox_cli.command("send-pending")
@click.option("--channel", "names", multiple=True, help="Only this channel (repeatable).")
def outbox_send_pending(names: tuple[str, ...]) -> None:
    """Send what is due now, once, and exit."""
    _send_channels(names)


@click.command("worker")
@click.option("--no-scheduler", is_flag=True, help="Only send push messages (no scheduled jobs).")
def worker_command(no_scheduler: bool) -> None:
    """Run the scheduled jobs (one scheduler across processes) and the push sender."""
    import logging

    from ..serving import configure_logging
    from .worker import Worker

    configure_logging(current_app, logging.INFO)  # text lines or JSON (LOG_FORMAT), redacted
    problem = shared_secret_key_problem(current_app._get_current_object())
    if problem:
        logging.getLogger("jichikai.keys").warning(problem)
    worker = Worker(current_app._get_current_object(), run_scheduler=not no_scheduler)
    worker.start()
    click.echo("worker running; stop with Ctrl-C or SIGTERM")
    worker.wait()
