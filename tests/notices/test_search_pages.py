"""The search and archive pages, the category filter of the feed, and their API."""

from datetime import timedelta

from jichikai.database import utcnow

from .helpers import make_notice


def html(response) -> str:
    return response.get_data(as_text=True)


def test_the_feed_page_offers_categories_archive_and_a_search_box(client, world, as_member):
    make_notice(world, title="夏祭り", category="event")
    make_notice(world, title="ごみの日", category="general")
    as_member(world.member)
    page = html(client.get("/notices/"))
    assert 'href="/notices/?category=event"' in page
    assert 'href="/notices/archive"' in page and 'action="/notices/search"' in page
    events = html(client.get("/notices/?category=event"))
    assert "夏祭り" in events and "ごみの日" not in events
    assert "ごみの日" in html(client.get("/notices/?category=unknown"))


def test_searching_from_the_page_lists_what_was_found(client, world, as_member):
    make_notice(world, title="防災訓練のお知らせ", body="公民館に<b>集まります</b>。")
    make_notice(world, title="2班の回覧", body="公民館の掃除", block_ids=[world.other_block.id])
    as_member(world.member)
    response = client.get("/notices/search?q=公民館")
    page = html(response)
    assert response.status_code == 200
    assert "防災訓練のお知らせ" in page and "2班の回覧" not in page
    assert "<mark>公民館</mark>に&lt;b&gt;集まります" in page
    assert "見つかりませんでした" in html(client.get("/notices/search?q=花火"))


def test_an_empty_search_shows_the_box_only(client, world, as_member):
    as_member(world.member)
    page = html(client.get("/notices/search"))
    assert 'name="q"' in page and "見つかりませんでした" not in page


def test_a_too_long_search_is_refused_with_a_message(client, world, as_member):
    as_member(world.member)
    response = client.get("/notices/search?q=" + "あ" * 101)
    assert response.status_code == 400
    assert "100 文字まで" in html(response)


def test_an_expired_circular_opens_from_the_archive(client, world, as_member):
    now = utcnow()
    notice = make_notice(
        world, title="夏祭り", now=now - timedelta(days=60), expires_at=now - timedelta(days=1)
    )
    as_member(world.member)
    assert "夏祭り" not in html(client.get("/notices/"))
    archive = html(client.get("/notices/archive"))
    assert f'href="/notices/{notice.id}"' in archive and "掲載終了" in archive
    opened = client.get(f"/notices/{notice.id}")
    assert opened.status_code == 200 and "掲載終了" in html(opened)


def test_the_archive_is_paged(client, world, as_member):
    now = utcnow()
    for n in range(21):
        make_notice(
            world,
            title=f"古い回覧{n:02d}",
            now=now - timedelta(days=60 - n),
            expires_at=now - timedelta(days=1),
        )
    as_member(world.member)
    first = html(client.get("/notices/archive"))
    assert "古い回覧20" in first and "古い回覧00" not in first
    assert 'href="/notices/archive?page=2"' in first
    assert "古い回覧00" in html(client.get("/notices/archive?page=2"))


def test_the_api_searches_and_lists_the_archive(client, world, as_member):
    now = utcnow()
    make_notice(world, title="夏祭り 公民館", category="event", expires_at=now + timedelta(days=1))
    make_notice(
        world,
        title="盆踊り 公民館",
        now=now - timedelta(days=9),
        expires_at=now - timedelta(days=1),
    )
    as_member(world.member)
    found = client.get("/api/v1/notices/search?q=公民館").get_json()
    assert [(f["title"], f["expired"]) for f in found] == [
        ("夏祭り 公民館", False),
        ("盆踊り 公民館", True),
    ]
    archive = client.get("/api/v1/notices/archive").get_json()
    assert [a["title"] for a in archive] == ["盆踊り 公民館"]
    feed = client.get("/api/v1/notices?category=city").get_json()
    assert feed == []


def test_the_api_refuses_a_bad_query(client, world, as_member):
    as_member(world.member)
    assert client.get("/api/v1/notices/search").status_code == 422
    assert client.get("/api/v1/notices/search?q=" + "a" * 101).status_code == 422
    assert client.get("/api/v1/notices?category=nothing").status_code == 422
