"""What the first load of the guide's form costs: bytes over the wire and requests.

Headless Chromium follows a fresh signed link (a new workspace lands on the form) with an
empty cache, as a top-level page and inside a cross-site iframe as the ColdSend app shows it;
every response is counted with its headers, its body as sent (compressed where it was), and a
second load shows what the cache keeps. Goal (issue 10): under 60 KB and at most 4 requests.

Usage: .venv/bin/python benchmarks/page_weight.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.stack import chromium, entry_link, running_portal  # noqa: E402


def main():
    with running_portal() as (base, environment, _), chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        first = load(page, entry_link(base, environment))
        again = load(page, entry_link(base, environment))
        context.close()
    for name, requests in (("first load", first), ("next link, cache warm", again)):
        total = sum(size for _, size in requests)
        print(f"{name}: {total / 1000:.1f} KB in {len(requests)} requests")
        for url, size in requests:
            print(f"  {size / 1000:6.1f} KB  {url.split('?')[0].replace(base, '')}")
    total = sum(size for _, size in first)
    met = total < 60_000 and len(first) <= 4
    print(f"goal: under 60 KB and at most 4 requests: {'met' if met else 'not met'}")


def load(page, url):
    """Load `url` until the network is idle; return [(URL, bytes received)] per request."""
    requests = []

    def count(request):
        sizes = request.sizes()
        size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        if size > 0:  # else the browser's cache answered: nothing crossed the wire
            requests.append((request.url, size))

    page.on("requestfinished", count)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", count)
    return requests


if __name__ == "__main__":
    main()
