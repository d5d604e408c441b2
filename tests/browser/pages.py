"""Every page of the application, as the permission matrix knows it, and layout checks on them.

The permission matrix (tests/<feature>/matrix.py) must name every route, so the pages checked
here follow it: a page added by any feature is checked without a list to keep. A GET case is a
page of the role that first gets 200 from it (members before leaders before officers), when it
answers HTML.
"""

import re
from dataclasses import dataclass

from flask import current_app

from ..factories import login
from ..matrix import Case
from ..test_permission_matrix import CASES

# Who opens a page, in order: the first role the matrix lets in is the one that looks at it.
VIEWERS = ("member", "anonymous", "leader", "officer", "admin")
# Roles whose pages must be usable on a phone (the bottom-bar audience, and login pages).
PHONE_ROLES = ("member", "anonymous")
NOT_PAGES = re.compile(r"^/(api/|static/|sw\.js|manifest\.webmanifest|metrics|healthz|readyz)")


@dataclass
class Page:
    case: Case
    role: str

    @property
    def id(self) -> str:
        return f"{self.role}:{self.case.id}"

    @property
    def name(self) -> str:
        """A file name for screenshots, the same from run to run (member-feed)."""
        return re.sub(r"[^a-z0-9]+", "-", self.id.lower()).strip("-")


def _viewer(case: Case) -> str | None:
    return next((role for role in VIEWERS if case.expect.get(role) == 200), None)


def all_pages() -> list[Page]:
    """The GET routes of the matrix that someone opens as a page."""
    pages = []
    for case in CASES:
        role = _viewer(case) if case.method == "GET" else None
        if role is not None:
            pages.append(Page(case, role))
    return pages


def phone_pages() -> list[Page]:
    return [page for page in all_pages() if page.role in PHONE_ROLES]


def html_url(page: Page, world) -> str | None:
    """The page's URL when it answers HTML to its viewer (a CSV or JSON route is not a page).

    Asked through the Flask test client first, so that the browser is never sent a download.
    """
    url = page.case.url(world)
    if NOT_PAGES.match(url):
        return None
    client = current_app.test_client()
    member = world.by_role(page.role)
    if member is not None:
        login(client, member)
    response = client.get(url)
    response.close()
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    return url


def session_cookie(base_url: str, device_session_id: str) -> dict:
    """The signed session cookie of a logged-in device (what the login form would set)."""
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    value = serializer.dumps({"_user_id": device_session_id, "_fresh": True})
    return {"name": current_app.config["SESSION_COOKIE_NAME"], "value": value, "url": base_url}


# Runs in the page: horizontal scrolling and tap targets under 44 x 44 CSS pixels.
# Exempt, as WCAG 2.5.8 exempts them: links inside a sentence, and controls not shown. A radio
# button or check box counts by the label around it (the whole line is what one taps).
LAYOUT_PROBLEMS = """
() => {
  const MIN = 44;
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`scrolls sideways: ${root.scrollWidth}px in ${root.clientWidth}px`);
  }
  const shown = (el) => {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") return false;
    const r = el.getBoundingClientRect();
    return r.right > 0 && r.bottom > -10000;  // the skip link waits off screen
  };
  const inSentence = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === "inline") block = block.parentElement;
    return block && block.textContent.trim().length > el.textContent.trim().length;
  };
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    + "[role=button]";
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el) || inSentence(el)) continue;
    let target = el;
    if (el.matches("input[type=radio], input[type=checkbox]")) {
      const byId = el.id && document.querySelector(`label[for="${el.id}"]`);
      target = el.closest("label") || byId || el;
    }
    const r = target.getBoundingClientRect();
    if (r.width < MIN - 0.5 || r.height < MIN - 0.5) {
      const text = target.innerText || target.value || target.getAttribute("aria-label") || "";
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      const tag = target.tagName.toLowerCase();
      problems.push(`tap target ${size}: <${tag}> ${text.trim().slice(0, 40)}`);
    }
  }
  return problems;
}
"""
