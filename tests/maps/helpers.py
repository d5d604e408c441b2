import json
import re


def map_data(page: str) -> dict:
    """The JSON a map page gives its script (#map-data)."""
    found = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert found, "no map data on the page"
    return json.loads(found.group(1))
