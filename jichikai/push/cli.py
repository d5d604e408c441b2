"""`flask push ...` and `flask worker`."""

import click
from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from .delivery import make_sender, send_pending
from .models import PushSubscription
from .vapid import VapidError, app_vapid, forget_app_vapid, key_path, public_key_b64, rotate


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
def vapid_keys(do_rotate: bool, yes: bool) -> None:
    """Show the VAPID public key (creating the key pair if missing), or rotate it."""
    app = current_app._get_current_object()
    path = key_path(app)
    if do_rotate:
        if not yes:
            click.confirm("Rotating deletes every push subscription. Continue?", abort=True)
        rotate(path)
        forget_app_vapid(app)
        removed = db.session.execute(delete(PushSubscription)).rowcount
        db.session.commit()
        click.echo(f"rotated; {removed} subscriptions deleted")
    try:
        vapid = app_vapid(app)
    except VapidError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"key file\t{path}")
    click.echo(f"public key\t{public_key_b64(vapid)}")
    subject = (
        current_app.config.get("PUSH_VAPID_SUBJECT") or "(not set: JICHIKAI_PUSH_VAPID_SUBJECT)"
    )
    click.echo(f"subject\t{subject}")


@push_cli.command("send-pending")
def send_pending_command() -> None:
    """Send every delivery that is due now, once, and exit."""
    try:
        sender = make_sender()
    except VapidError as error:
        raise click.ClickException(str(error)) from error
    with sender:
        summary = send_pending(sender)
    click.echo(str(summary))


@click.command("worker")
@click.option("--no-scheduler", is_flag=True, help="Only send push messages (no scheduled jobs).")
def worker_command(no_scheduler: bool) -> None:
    """Run the scheduled jobs (one scheduler across processes) and the push sender."""
    import logging

    from .worker import Worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    worker = Worker(current_app._get_current_object(), run_scheduler=not no_scheduler)
    worker.start()
    click.echo("worker running; stop with Ctrl-C or SIGTERM")
    worker.wait()
