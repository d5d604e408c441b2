"""`flask jma poll`, the scheduled job and the demo association's settings."""

from jichikai.demo.seed import seed_demo
from jichikai.jma.jobs import JOBS
from jichikai.jma.poll import feeds_from_config
from jichikai.jma.settings import JmaSettings
from jichikai.scheduling import all_jobs

from .conftest import NOW


def test_poll_command_prints_what_it_found_and_did(runner, watching, jma, started, app):
    jma.serve_message("VXSE53_sakura_5plus.xml")
    feed = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])
    app.config["JMA_MAX_AGE_MINUTES"] = 60 * 24 * 365 * 10  # the fixture's time is fixed
    try:
        result = runner.invoke(args=["jma", "poll", "--feed", feed])
    finally:
        del app.config["JMA_MAX_AGE_MINUTES"]
    assert result.exit_code == 0, result.output
    assert f"feed {feed}: 1 entries, 1 new" in result.output
    assert "VXSE53 通常 発表 EventID 20261127095412" in result.output
    assert "started 地震（さいたま桜区で震度５強）" in result.output
    assert len(started.calls) == 1


def test_the_job_runs_every_minute():
    [job] = JOBS
    assert (job.id, job.every_seconds) == ("jma-poll", 60)
    assert job in all_jobs()


def test_job_polls_the_configured_feeds(app, watching, jma, started):
    jma.serve_message("VXSE53_sakura_5plus.xml")
    app.config["JMA_FEEDS"] = jma.serve_feed("eqvol.xml", ["VXSE53_sakura_5plus.xml"])
    try:
        summary = JOBS[0].func(NOW)
    finally:
        del app.config["JMA_FEEDS"]
    assert summary.startswith("1 fetched, 0 failed, 1 alerts")


def test_default_feeds_are_jmas():
    assert feeds_from_config({}) == [
        "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
        "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
    ]
    assert feeds_from_config({"JMA_FEEDS": "http://a/x.xml, http://a/y.xml"}) == [
        "http://a/x.xml",
        "http://a/y.xml",
    ]


def test_demo_association_watches_sakura_ku(app):
    association, _accounts = seed_demo()
    settings = JmaSettings.of(association)
    assert settings.enabled and settings.mode == "auto"
    assert (settings.city_code, settings.area_code, settings.warning_area_code) == (
        "1110600",
        "331",
        "1110000",
    )
    assert settings.threshold == "5-"
